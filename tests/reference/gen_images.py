"""Reference images and PIL's decoding and resizing of them, for tests/image/test_image.c.

Writes small images of every kind fovea reads into outdir/images/ (baseline, 4:4:4 and progressive JPEG, gray
and CMYK JPEG, JPEG with each EXIF orientation 2..8; PNG gray 1/8/16 bit, gray + alpha, RGB, RGBA, palette with
and without transparency, RGB with a tRNS colour, 16-bit RGB and RGBA) and outdir/images.fvx with
  shape:NAME      (height, width, channels, depth) of the decoded image
  px:NAME         its samples, packed: 8-bit samples four to an int32 (little-endian bytes), 16-bit two
  resize:SRC:FILTER:WxH, shape:resize:...   PIL's Image.resize of a decoded PNG (gray, rgb, rgba)
  convert:rgb:L   PIL's convert("L")
The reference decoder is Debian's python3-pil (the same libjpeg-turbo and zlib): ImageOps.exif_transpose(
Image.open(p)), converted to RGB for CMYK, to RGB(A) for palettes (RGBA where there is transparency). PIL 9.4
reduces 16-bit RGB(A) PNGs to 8 bits, so their 16-bit reference is the array this script encodes itself
(struct + zlib, no PIL), compared with libpng's decoding in fovea.
Usage: /usr/bin/python3 tests/reference/gen_images.py [outdir], or through make_fixtures.py."""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

import fvfx

W, H = 40, 27  # deliberately odd sizes


def content(w, h, seed):
    """Something like a photograph: smooth gradients, a few shapes with edges, noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 6.0) * np.cos(y / 9.0)
    g = 255 * x / (w - 1)
    b = 255 * (1 - y / (h - 1))
    img = np.stack([r, g, b], -1)
    img[h // 4:h // 2, w // 5:w // 2] = [240, 30, 60]
    img[(x - w * 0.7) ** 2 + (y - h * 0.6) ** 2 < (h / 4) ** 2] = [20, 200, 90]
    img += rng.normal(0, 12, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def alpha(w, h):
    y, x = np.mgrid[0:h, 0:w]
    a = np.clip(255 * (x + 2 * y) / (w + 2 * h), 0, 255).astype(np.uint8)
    a[:3, :] = 0  # fully transparent and fully opaque areas: the special cases of premultiplication
    a[-3:, :] = 255
    return a


def png16(path, arr):
    """A 16-bit PNG encoded here (not by PIL, which cannot write 16-bit colour): IHDR, one IDAT, IEND."""
    h, w, c = arr.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    blob = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(blob)


def pack(arr, depth):
    """Samples packed into int32s: four bytes, or two native 16-bit values, per element (little-endian)."""
    b = np.ascontiguousarray(arr).astype("<u2" if depth == 16 else "u1").tobytes()
    b += b"\x00" * (-len(b) % 4)
    return np.frombuffer(b, dtype="<i4")


def reference(im):
    """PIL's decoded pixels as (array of h x w x c, depth)."""
    if im.mode == "CMYK":
        im = im.convert("RGB")
    elif im.mode == "P" or (im.mode in ("RGB", "L") and "transparency" in im.info):
        im = im.convert("RGBA" if "transparency" in im.info or im.mode == "RGB" else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    a = np.array(im)
    depth = 16 if im.mode.startswith("I") else 8
    if a.ndim == 2:
        a = a[:, :, None]
    return a, depth


def make(outdir):
    folder = os.path.join(outdir, "images")
    os.makedirs(folder, exist_ok=True)
    rgb = content(W, H, 5)
    gray = np.array(Image.fromarray(rgb).convert("L"))
    a = alpha(W, H)
    small = content(21, 13, 7)
    files = {}  # name -> reference array, depth (None: PIL decodes it)

    def save(name, img, **kw):
        img.save(os.path.join(folder, name), **kw)
        files[name] = None

    save("baseline.jpg", Image.fromarray(rgb), quality=90)
    save("baseline444.jpg", Image.fromarray(rgb), quality=95, subsampling=0)
    save("progressive.jpg", Image.fromarray(rgb), quality=85, progressive=True, optimize=True)
    save("gray.jpg", Image.fromarray(gray), quality=90)
    save("cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), quality=90)
    for o in range(2, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        save(f"exif{o}.jpg", Image.fromarray(small), quality=90, exif=exif.tobytes())
    save("gray.png", Image.fromarray(gray))
    save("gray1.png", Image.fromarray(gray > 128))
    g16 = (gray.astype(np.uint16) * 257 + np.arange(W, dtype=np.uint16)[None, :] * 3)
    save("gray16.png", Image.fromarray(g16, "I;16"))
    save("gray_alpha.png", Image.fromarray(np.dstack([gray, a]), "LA"))
    save("rgb.png", Image.fromarray(rgb))
    save("rgba.png", Image.fromarray(np.dstack([rgb, a]), "RGBA"))
    pal = Image.fromarray(rgb).quantize(23)
    save("palette.png", pal)
    save("palette_trns.png", pal, transparency=bytes([0, 40, 128, 200] + [255] * 19))
    save("rgb_trns.png", Image.fromarray(rgb), transparency=tuple(int(v) for v in rgb[3, 5]))
    rgb16 = (rgb.astype(np.uint16) * 257) ^ np.uint16(0x5a)  # low bytes differ from the high ones
    png16(os.path.join(folder, "rgb16.png"), rgb16)
    files["rgb16.png"] = (rgb16, 16)
    rgba16 = np.dstack([rgb16, a.astype(np.uint16) * 257 + 1])
    png16(os.path.join(folder, "rgba16.png"), rgba16)
    files["rgba16.png"] = (rgba16, 16)

    entries = []
    decoded = {}
    for name in sorted(files):
        arr, depth = files[name] if files[name] else reference(ImageOps.exif_transpose(Image.open(os.path.join(folder, name))))
        decoded[name] = arr
        h, w, c = arr.shape
        entries += [(f"shape:{name}", np.array([h, w, c, depth], np.int32)), (f"px:{name}", pack(arr, depth))]

    filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "area": Image.BOX, "bicubic": Image.BICUBIC}
    modes = {"gray.png": "L", "rgb.png": "RGB", "rgba.png": "RGBA"}
    for src, mode in modes.items():
        im = Image.fromarray(decoded[src][:, :, 0] if mode == "L" else decoded[src], mode)
        for fname, f in filters.items():
            for size in ((53, 34), (17, 11), (7, 29)):
                out = np.array(im.resize(size, f))
                out = out[:, :, None] if out.ndim == 2 else out
                key = f"resize:{src}:{fname}:{size[0]}x{size[1]}"
                entries += [(f"shape:{key}", np.array([*out.shape, 8], np.int32)), (key, pack(out, 8))]
    entries.append(("convert:rgb:L", pack(np.array(Image.fromarray(decoded["rgb.png"]).convert("L")), 8)))
    fvfx.write(os.path.join(outdir, "images.fvx"), entries)
    return 1


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
