"""The figures tests/nn/test_zoo.c compares fovea's zoo with, from torchvision (Debian's python3-torchvision
0.14): for each model its trainable and non-trainable parameter counts (batch-norm running statistics;
num_batches_tracked left out, fovea has none), the count without the classifier (Keras' include_top=False),
and a digest of every parameter's name and shape: the sum over parameters, modulo 2^64, of the 64-bit FNV-1a
hash of "name:d0xd1x...". A sum, so that the order of the parameters does not matter.

Usage: /usr/bin/python3 tests/reference/zoo_counts.py   (prints the C table; the suite needs no Python)"""
import warnings

warnings.filterwarnings("ignore")

NAMES = (["alexnet"] + [f"vgg{d}{b}" for d in (11, 13, 16, 19) for b in ("", "_bn")] + ["googlenet"]
         + [f"resnet{d}" for d in (18, 34, 50, 101, 152)]
         + ["mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"] + [f"efficientnet_b{i}" for i in range(8)])
# Segmentation models (21 classes, aux_loss=False): torchvision's, and the FCN-VGG16 nets of gen_fcn.py (not in
# torchvision; built from the paper's geometry there). Their top is the segmentation head.
SEGMENTATION = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
FCN_VGG = {"fcn32s": 32, "fcn16s": 16, "fcn8s": 8}
# The classifier ("top") of each family, as module name prefixes.
TOPS = ("fc.", "classifier.", "aux1.", "aux2.", "fc6.", "fc7.", "score_", "upscore")


def fnv1a(text):
    h = 0xcbf29ce484222325
    for c in text.encode():
        h = ((h ^ c) * 0x100000001b3) % 2 ** 64
    return h


def figures(model):
    trainable = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for k, b in model.named_buffers() if not k.endswith("num_batches_tracked"))
    top = sum(p.numel() for k, p in model.named_parameters() if k.startswith(TOPS))
    digest = 0
    for k, v in model.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            digest = (digest + fnv1a(k + ":" + "x".join(str(d) for d in v.shape))) % 2 ** 64
    return trainable, buffers, trainable - top, digest


def build(name, **kw):
    from torchvision import models
    if name in FCN_VGG:
        from gen_fcn import FCN
        return FCN(FCN_VGG[name])
    if name in SEGMENTATION:
        return getattr(models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)
    if name == "googlenet":
        kw = dict(kw, init_weights=False, aux_logits=kw.get("aux_logits", False))
    return getattr(models, name)(**kw)


def main():
    print("    /* name, trainable, non-trainable, trainable without the top, digest of names and shapes */")
    for name in NAMES + SEGMENTATION + list(FCN_VGG):
        t, n, nt, d = figures(build(name))
        print(f'    {{"{name}", {t}, {n}, {nt}, 0x{d:016x}ull}},')
    print("    /* variants */")
    for label, name, kw in [("googlenet aux_logits", "googlenet", {"aux_logits": True}),
                            ("resnet18 num_classes=10", "resnet18", {"num_classes": 10}),
                            ("mobilenet_v2 width_mult=1.4", "mobilenet_v2", {"width_mult": 1.4}),
                            ("mobilenet_v2 width_mult=0.35", "mobilenet_v2", {"width_mult": 0.35}),
                            ("mobilenet_v3_large width_mult=0.75", "mobilenet_v3_large", {"width_mult": 0.75})]:
        t, n, nt, d = figures(build(name, **kw))
        print(f"    /* {label} */ {{{t}, {n}, {nt}, 0x{d:016x}ull}},")


if __name__ == "__main__":
    main()
