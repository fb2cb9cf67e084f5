"""torchvision's image preprocessing on real photographs, for tests/image/test_preprocess_image.c.

Two photographs that Debian ships (scikit-learn's sample images china.jpg and flower.jpg, from
python3-sklearn), cut to odd sizes and saved small into outdir/images/ (photo_rgb.jpg 211x157, photo_gray.jpg
143x187, gray), and outdir/preprocess.fvx with, for each case NAME:
  shape:NAME   (height, width, channels, 8) of the result
  NAME         torchvision's transforms on the PIL image (Image.open(p).convert(MODE)), samples packed four to an
               int32 as gen_images.py packs them
  case:NAME    the transform as text, "shorter S crop HxW" (Resize(S) + CenterCrop((H, W))) or "stretch HxW"
               (Resize((H, W)))
and tensor:NAME, the float tensor after ToTensor() and Normalize(ImageNet's mean and std), for the first case.
Resize is torchvision's on a PIL image: PIL's bilinear filter, antialiased when shrinking.
Usage: /usr/bin/python3 tests/reference/gen_preprocess.py [outdir], or through make_fixtures.py."""
import os
import sys

import numpy as np
import sklearn.datasets
from PIL import Image
from torchvision import transforms as T

import fvfx
from gen_images import pack

IMAGES = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images")

# (photo, mode, case name, transform text): shrinking, enlarging, a crop taller than the resized image (padded
# with zeros, as torchvision pads), odd differences (torchvision rounds the offset half to even), stretching.
CASES = [
    ("photo_rgb.jpg", "RGB", "rgb_s64_c56", "shorter 64 crop 56x56"),
    ("photo_rgb.jpg", "RGB", "rgb_s97_c90x71", "shorter 97 crop 90x71"),
    ("photo_rgb.jpg", "RGB", "rgb_s200_c160", "shorter 200 crop 160x160"),
    ("photo_rgb.jpg", "RGB", "rgb_s64_c70", "shorter 64 crop 70x70"),
    ("photo_rgb.jpg", "RGB", "rgb_stretch_50x81", "stretch 50x81"),
    ("photo_rgb.jpg", "L", "rgb_as_gray_s61_c48", "shorter 61 crop 48x48"),
    ("photo_gray.jpg", "L", "gray_s77_c64", "shorter 77 crop 64x64"),
    ("photo_gray.jpg", "RGB", "gray_as_rgb_s160_c120x100", "shorter 160 crop 120x100"),
    ("photo_gray.jpg", "L", "gray_stretch_33x29", "stretch 33x29"),
]


def photos(folder):
    """The two committed photographs, cut from scikit-learn's samples and saved once (kept if present)."""
    rgb, gray = os.path.join(folder, "photo_rgb.jpg"), os.path.join(folder, "photo_gray.jpg")
    if not os.path.exists(rgb):
        Image.open(os.path.join(IMAGES, "china.jpg")).convert("RGB").crop((150, 90, 361, 247)).save(rgb, quality=90)
    if not os.path.exists(gray):
        Image.open(os.path.join(IMAGES, "flower.jpg")).convert("L").crop((200, 100, 343, 287)).save(gray, quality=90)


def transform(text):
    w = text.split()
    if w[0] == "stretch":
        h, wd = map(int, w[1].split("x"))
        return T.Resize((h, wd))
    h, wd = map(int, w[3].split("x"))
    return T.Compose([T.Resize(int(w[1])), T.CenterCrop((h, wd))])


def make(outdir):
    folder = os.path.join(outdir, "images")
    os.makedirs(folder, exist_ok=True)
    photos(folder)
    entries = []
    for i, (photo, mode, name, text) in enumerate(CASES):
        im = Image.open(os.path.join(folder, photo)).convert(mode)
        out = transform(text)(im)
        a = np.array(out)
        if a.ndim == 2:
            a = a[:, :, None]
        entries += [(f"shape:{name}", np.array([*a.shape, 8], np.int32)), (name, pack(a, 8)), (f"case:{name}", text)]
        if i == 0:
            t = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(out))
            entries.append((f"tensor:{name}", t.numpy().astype(np.float32)))
    fvfx.write(os.path.join(outdir, "preprocess.fvx"), entries)
    return len(CASES)


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
