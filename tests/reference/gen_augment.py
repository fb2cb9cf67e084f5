"""References for augmentation (tests/augment/test_augment.c): affine warps by scipy.ndimage.affine_transform
(orders 0 and 1, modes grid-constant, nearest, reflect and grid-wrap: Keras' constant, nearest, reflect and wrap)
on a Fashion-MNIST test image and a made-up RGB image; the Keras composition of rotation, shift, shear and zoom
as a matrix; Gaussian blur and the 3x3 median by scipy.ndimage; sharpness, brightness, contrast, saturation,
hue, grayscale and resized crop by torchvision.transforms.functional on float tensors.
Writes augment_affine.fvx, augment_filters.fvx, augment_colour.fvx. Needs Debian's dataset-fashion-mnist."""
import gzip
import os

import numpy as np
import torch
import torchvision.transforms.functional as TF
from scipy import ndimage

import fvfx

DATA = "/usr/share/datasets/fashion-mnist"
MODES = ["grid-constant", "nearest", "reflect", "grid-wrap"]  # fovea's FV_FILL_CONSTANT .. FV_FILL_WRAP
CVAL = 0.25


def fmnist_image(index):
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (data.reshape(-1, 28, 28)[index].astype(np.float32) / 255.0)[None]


def colour_image(h=16, w=20):
    """Smooth gradients, a saturated square and some noise, so that every colour op has work to do."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 0.5 + 0.45 * np.sin(x / 3.0) * np.cos(y / 5.0)
    g = (x + y) / (h + w)
    b = 0.5 + 0.5 * np.cos((x - y) / 4.0)
    im = np.stack([r, g, b]) + 0.05 * rng.normal(size=(3, h, w))
    im[:, 3:7, 4:9] = np.array([1.0, 0.1, 0.0])[:, None, None]
    im[:, 10:13, 12:16] = 1.0
    return np.clip(im, 0, 1).astype(np.float32)


def warp(img, m, order, mode):
    """fovea's convention: output (x, y) samples input (m0 x + m1 y + m2, m3 x + m4 y + m5)."""
    m = m.astype(np.float64)
    mat = np.array([[m[4], m[3]], [m[1], m[0]]])
    off = np.array([m[5], m[2]])
    return np.stack([ndimage.affine_transform(p.astype(np.float64), mat, offset=off, order=order, mode=mode,
                                              cval=CVAL) for p in img]).astype(np.float32)


def about_centre(a, t, h, w):
    """Matrix of input = c + a (output - c) + t with c the pixel-centre middle of an h x w image."""
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    return np.array([a[0, 0], a[0, 1], cx + t[0] - a[0, 0] * cx - a[0, 1] * cy,
                     a[1, 0], a[1, 1], cy + t[1] - a[1, 0] * cx - a[1, 1] * cy], dtype=np.float32)


def matrices(h, w):
    th = np.deg2rad(30.0)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    out = [about_centre(rot @ np.diag([1.15, 0.9]), np.array([1.3, -2.2]), h, w),  # rotation, zoom, shift
           about_centre(np.array([[0.8, 0.35], [-0.2, 1.25]]), np.array([-3.7, 4.1]), h, w),  # general
           about_centre(np.array([[1.6, 0.0], [0.0, 1.6]]), np.array([0.0, 0.0]), h, w)]  # zoom out: far fills
    return out


def keras_matrix(theta, tx, ty, shear, zx, zy, h, w):
    """Keras' apply_affine_transform matrix (on (row, col)), composed about ((h - 1) / 2, (w - 1) / 2)."""
    t = np.deg2rad(theta)
    s = np.deg2rad(shear)
    rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shr = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    m = rot @ shift @ shr @ zoom
    o_r, o_c = (h - 1) / 2.0, (w - 1) / 2.0
    offset = np.array([[1, 0, o_r], [0, 1, o_c], [0, 0, 1]])
    reset = np.array([[1, 0, -o_r], [0, 1, -o_c], [0, 0, 1]])
    return offset @ m @ reset


def affine_fixture():
    fx = {}
    images = {"gray": fmnist_image(0), "rgb": colour_image()}
    for name, img in images.items():
        fx[f"image:{name}"] = img
        ms = matrices(img.shape[1], img.shape[2])
        for k, m in enumerate(ms if name == "gray" else ms[:2]):
            fx[f"m:{name}:{k}"] = m
            for order in (0, 1):
                for f, mode in enumerate(MODES):
                    fx[f"out:{name}:{k}:{order}:{f}"] = warp(img, m, order, mode)
    # Keras' composition on (row, col) for fovea's parameters: fovea's angle turns the other way, its x is
    # Keras' column (ty, zy) and its y Keras' row (tx, zx).
    params = [(20.0, 2.5, -1.5, 12.0, 0.9, 1.2), (-35.0, -3.0, 4.0, -25.0, 1.1, 0.8)]
    h, w = 28, 28
    for k, (rot, sx, sy, shear, zx, zy) in enumerate(params):
        km = keras_matrix(-rot, sy, sx, shear, zy, zx, h, w)  # rows/cols: ((r_in, c_in) = km (r, c))
        fx[f"keras:params:{k}"] = np.array([rot, sx, sy, shear, zx, zy], dtype=np.float32)
        # fovea's layout: x_in = m0 x + m1 y + m2, y_in = m3 x + m4 y + m5 (x = col, y = row)
        fx[f"keras:m:{k}"] = np.array([km[1, 1], km[1, 0], km[1, 2], km[0, 1], km[0, 0], km[0, 2]])
    fvfx.write(os.path.join(OUT, "augment_affine.fvx"), fx)


def filters_fixture():
    gray, rgb = fmnist_image(1), colour_image()
    fx = {"image:gray": gray, "image:rgb": rgb}
    for name, img in (("gray", gray), ("rgb", rgb)):
        for sigma in (0.6, 1.5):
            fx[f"blur:{name}:{sigma:g}"] = np.stack([ndimage.gaussian_filter(p.astype(np.float64), sigma, mode="reflect",
                                                                            truncate=4.0) for p in img])
        fx[f"median:{name}"] = np.stack([ndimage.median_filter(p, size=3, mode="reflect") for p in img])
        for factor in (0.3, 2.0):
            fx[f"sharpen:{name}:{factor:g}"] = fvfx.tensor(TF.adjust_sharpness(torch.from_numpy(img), factor))
    fvfx.write(os.path.join(OUT, "augment_filters.fvx"), fx)


def colour_fixture():
    gray, rgb = fmnist_image(2), colour_image()
    fx = {"image:gray": gray, "image:rgb": rgb}
    t = {"gray": torch.from_numpy(gray), "rgb": torch.from_numpy(rgb)}
    for name in ("gray", "rgb"):
        for f in (0.6, 1.4):
            fx[f"brightness:{name}:{f:g}"] = fvfx.tensor(TF.adjust_brightness(t[name], f))
        for f in (0.5, 1.6):
            fx[f"contrast:{name}:{f:g}"] = fvfx.tensor(TF.adjust_contrast(t[name], f))
    for f in (0.3, 1.8):
        fx[f"saturation:rgb:{f:g}"] = fvfx.tensor(TF.adjust_saturation(t["rgb"], f))
    for f in (-0.3, 0.1, 0.45):
        fx[f"hue:rgb:{f:g}"] = fvfx.tensor(TF.adjust_hue(t["rgb"], f))
    fx["grayscale:rgb"] = fvfx.tensor(TF.rgb_to_grayscale(t["rgb"], num_output_channels=3))
    # Resized crops (top, left, height, width) back to the full size, bilinear, as RandomResizedCrop does.
    crops = {"gray": [(4, 2, 15, 20), (0, 0, 28, 28), (10, 13, 7, 9)], "rgb": [(3, 5, 10, 12), (0, 7, 16, 13)]}
    for name, boxes in crops.items():
        h, w = t[name].shape[1:]
        for k, (top, left, ch, cw) in enumerate(boxes):
            fx[f"crop:{name}:{k}"] = np.array([top, left, ch, cw], dtype=np.int32)
            fx[f"cropped:{name}:{k}"] = fvfx.tensor(TF.resized_crop(t[name], top, left, ch, cw, [h, w],
                                                                    TF.InterpolationMode.BILINEAR, antialias=True))
    fvfx.write(os.path.join(OUT, "augment_colour.fvx"), fx)


OUT = None


def make(outdir):
    global OUT
    OUT = outdir
    affine_fixture()
    filters_fixture()
    colour_fixture()
    return 3


if __name__ == "__main__":
    make(os.path.join(os.path.dirname(__file__), "fixtures"))
