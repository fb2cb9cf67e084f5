#!/bin/sh
# Image files as inputs of every command: predict on PNG and JPEG files, lists, globs (quoted, expanded by fovea)
# and folders, each row named by its file; gray images into a 3-channel model and RGB into a 1-channel one;
# --labels and ImageNet's names; gradcam, featuremaps, features and patches on images (features one row per image,
# in order); --normalize stored by convert and train, shown by summary; and the bad inputs, refused naming the flag
# or the file before any prediction is printed. Prints "N passed, N failed".
FOVEA=${FOVEA:-build/fovea}
. tests/common/harness.sh
T=$(mktemp -d /tmp/fovea_imgpred.XXXXXX)
trap 'rm -rf "$T"' EXIT
IMG=tests/reference/fixtures/images
mkdir -p "$T/imgs" "$T/empty" "$T/set/a" "$T/set/b"
cp "$IMG/photo_rgb.jpg" "$IMG/photo_gray.jpg" "$IMG/rgb.png" "$IMG/gray.png" "$T/imgs/"
cp "$IMG/photo_rgb.jpg" "$IMG/rgb.png" "$T/set/a/" && cp "$IMG/photo_gray.jpg" "$IMG/gray.png" "$T/set/b/"
printf 'not an image\n' > "$T/broken.jpg"
head -c 300 "$IMG/photo_rgb.jpg" > "$T/cut.jpg"

# models: a small RGB resnet18 with ImageNet's normalization (shorter side 36, centre crop 32), a gray one
expect "convert --normalize imagenet --center-crop" 0 "Preprocessing: mean 0.485,0.456,0.406, std 0.229,0.224,0.225, scale 1/255, RGB; images: shorter side to 36, centre crop" -- \
    "$FOVEA" convert resnet18 "$T/r.fvm" --input 3x32x32 --classes 5 --normalize imagenet --center-crop 36
expect "summary shows the preprocessing" 0 "^Preprocessing: mean 0.485" -- "$FOVEA" summary "$T/r.fvm"
expect "a gray model" 0 "^" -- "$FOVEA" convert fmnist-cnn "$T/g.fvm"
out=$("$FOVEA" summary "$T/g.fvm" 2>&1)
printf '%s\n' "$out" | grep -q Preprocessing && bad "no preprocessing line without one stored" || ok "no preprocessing line without one stored"

# lists, globs, folders; rows named by file
expect "predict a JPEG and a PNG" 0 "^$T/imgs/rgb.png:  class [0-9] 0\.[0-9]*" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_rgb.jpg" "$T/imgs/rgb.png"
n=$("$FOVEA" predict "$T/r.fvm" "$T/imgs" 2>&1 | grep -c "^$T/imgs/.*:  class")
[ "$n" -eq 4 ] && ok "a folder: its 4 images" || bad "a folder: $n rows"
first=$("$FOVEA" predict "$T/r.fvm" "$T/imgs" 2>&1 | head -n 1 | cut -d: -f1)
[ "$first" = "$T/imgs/gray.png" ] && ok "a folder's images sorted by name" || bad "first row $first"
n=$("$FOVEA" predict "$T/r.fvm" "$T/imgs/*.jpg" 2>&1 | grep -c "\.jpg:  class")
[ "$n" -eq 2 ] && ok "a quoted glob expanded by fovea: 2 JPEGs" || bad "glob: $n rows"
expect "gray images into a 3-channel model" 0 "photo_gray.jpg:  class" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_gray.jpg"
expect "RGB images into a 1-channel model" 0 "photo_rgb.jpg:  .* 0\.[0-9]*" -- "$FOVEA" predict "$T/g.fvm" "$T/imgs/photo_rgb.jpg" --resize pad
a=$("$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_rgb.jpg" --top 5 2>&1)
b=$("$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_rgb.jpg" --top 5 --resize stretch 2>&1)
[ -n "$a" ] && [ "$a" != "$b" ] && ok "--resize overrides the stored rule" || bad "--resize: '$a' vs '$b'"
c=$("$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_rgb.jpg" --top 5 --resize shorter --center-crop 0.888 2>&1)
[ "$a" = "$c" ] && ok "--center-crop 0.888 is shorter side 36 for a 32 input" || bad "--center-crop: '$a' vs '$c'"

# class names
printf 'ant\nbee\ncat\ndog\neel\n' > "$T/labels.txt"
expect "--labels FILE" 0 "photo_rgb.jpg:  \(ant\|bee\|cat\|dog\|eel\) 0\." -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/photo_rgb.jpg" --labels "$T/labels.txt"
printf 'ant\nbee\n' > "$T/two.txt"
expect "--labels with the wrong count names the file" 1 "two.txt: 2 names for the 5 outputs" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/rgb.png" --labels "$T/two.txt"
expect "--labels imagenet on 5 classes" 1 "names 1000 classes" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/rgb.png" --labels imagenet
expect "a 1000-class model" 0 "^" -- "$FOVEA" convert resnet18 "$T/r1000.fvm" --input 3x32x32 --normalize imagenet
out=$("$FOVEA" predict "$T/r1000.fvm" "$T/imgs/rgb.png" --top 3 2>&1)
printf '%s\n' "$out" | grep -q "rgb.png:  [a-z]" && ! printf '%s\n' "$out" | grep -q "class [0-9]" &&
    ok "a 1000-class model without names gets ImageNet's" || bad "ImageNet names: $out"

# the data set path: the index asked for, images fitted to the model
expect "predict --data FOLDER --index 3" 0 "^sample\[3\] (true: class 1)" -- "$FOVEA" predict "$T/r.fvm" --data "$T/set" --index 3
expect "features on a folder of mixed sizes" 0 "4 samples x 512 features" -- "$FOVEA" features "$T/r.fvm" --data "$T/set" --out "$T/f.npy"
expect "evaluate a folder of mixed sizes" 0 "4 samples - loss" -- "$FOVEA" evaluate "$T/r.fvm" --data "$T/set"

# diagnosis commands on an image file
expect "gradcam on a JPEG" 0 "Grad-CAM of class [0-9]" -- "$FOVEA" gradcam "$T/r.fvm" "$T/imgs/photo_rgb.jpg" --out "$T/cam.png"
[ -s "$T/cam.png" ] && ok "gradcam wrote its overlay" || bad "no overlay"
expect "featuremaps on a PNG into a gray model" 0 "Wrote $T/fm.png" -- "$FOVEA" featuremaps "$T/g.fvm" "$T/imgs/rgb.png" --out "$T/fm.png"
expect "features on two images" 0 "^2 samples x 512 features" -- "$FOVEA" features "$T/r.fvm" "$T/imgs/rgb.png" "$T/imgs/photo_rgb.jpg" --out "$T/fi.npy" --csv "$T/fi.csv"
expect "features on images: a (2, 512) .npy" 0 "'shape': (2, 512)" -- sh -c "head -c 80 '$T/fi.npy' | strings"
expect "features on images: CSV rows named by file, in order" 0 "^\"$T/imgs/photo_rgb.jpg\",[-0-9]" -- sed -n 3p "$T/fi.csv"
expect "features on a folder" 0 "^4 samples x 512 features" -- "$FOVEA" features "$T/r.fvm" "$T/imgs" --out "$T/fd.npy"
expect "features on a folder: a (4, 512) .npy" 0 "'shape': (4, 512)" -- sh -c "head -c 80 '$T/fd.npy' | strings"
expect "patches on a folder" 0 "Wrote $T/pi.png: 4 patches of channel 5" -- "$FOVEA" patches "$T/r.fvm" "$T/imgs" --layer relu --channel 5 --out "$T/pi.png"
expect "features: --data and images refused" 2 "give --data or image inputs, not both" -- "$FOVEA" features "$T/r.fvm" "$T/imgs" --data "$T/set" --out "$T/fx.npy"
expect "patches: --data and images refused" 2 "give --data or image inputs, not both" -- "$FOVEA" patches "$T/r.fvm" "$T/imgs" --data "$T/set" --out "$T/px.png"
expect "features on images: --labels refused" 2 "--labels needs --data" -- "$FOVEA" features "$T/r.fvm" "$T/imgs" --out "$T/fx.npy" --labels "$T/lx.npy"

# training stores --normalize and applies it
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    expect "train --normalize" 0 "Preprocessing: mean 0.286, std 0.353" -- "$FOVEA" train --data fashion-mnist --model mlp \
        --epochs 1 --limit 300 --batch 50 --normalize 0.286,0.353 --out "$T/n.fvm" --quiet
    expect "evaluate applies it" 0 "samples - loss" -- "$FOVEA" evaluate "$T/n.fvm" --data fashion-mnist --limit 200
    expect "summary shows it" 0 "^Preprocessing: mean 0.286, std 0.353, scale 1/255" -- "$FOVEA" summary "$T/n.fvm"
fi

# bad inputs: named, before any prediction is printed
out=$("$FOVEA" predict "$T/r.fvm" "$T/imgs/rgb.png" "$T/broken.jpg" 2>&1)
rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "broken.jpg' is not a PNG or JPEG" && ! printf '%s\n' "$out" | grep -q "rgb.png:" &&
    ok "an undecodable file stops predict before any work, named" || bad "broken: $rc $out"
expect "a truncated JPEG, named" 1 "cut.jpg.*corrupt or truncated" -- "$FOVEA" predict "$T/r.fvm" "$T/cut.jpg"
expect "a missing file, named" 1 "nothere.png" -- "$FOVEA" predict "$T/r.fvm" "$T/nothere.png"
expect "an empty folder" 1 "holds no PNG or JPEG image" -- "$FOVEA" predict "$T/r.fvm" "$T/empty"
expect "a glob matching nothing" 1 "no file matches" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/*.gif"
expect "gradcam on an undecodable image" 1 "broken.jpg" -- "$FOVEA" gradcam "$T/r.fvm" "$T/broken.jpg"
expect "features on an undecodable image, named" 1 "broken.jpg' is not a PNG or JPEG" -- "$FOVEA" features "$T/r.fvm" "$T/imgs/rgb.png" "$T/broken.jpg" --out "$T/fb.npy"
[ -e "$T/fb.npy" ] && bad "features wrote despite an undecodable image" || ok "features writes nothing for an undecodable image"
expect "patches on an undecodable image, named" 1 "broken.jpg' is not a PNG or JPEG" -- "$FOVEA" patches "$T/r.fvm" "$T/broken.jpg" --out "$T/pb.png"
expect "--normalize twice" 2 "--normalize is given 2 times" -- "$FOVEA" convert "$T/g.fvm" "$T/g2.fvm" --normalize 0.5,0.5 --normalize imagenet
[ -e "$T/g2.fvm" ] && bad "--normalize twice wrote a file" || ok "--normalize twice writes nothing"
expect "--normalize imagenet on a gray model" 2 "needs a 3-channel input" -- "$FOVEA" convert "$T/g.fvm" "$T/g2.fvm" --normalize imagenet
expect "--normalize malformed" 2 "expects imagenet, none, MEAN,STD" -- "$FOVEA" convert "$T/g.fvm" "$T/g2.fvm" --normalize 0.5
expect "--center-crop malformed" 2 "--center-crop expects" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/rgb.png" --center-crop 1.5
expect "--resize unknown" 2 "resize" -- "$FOVEA" predict "$T/r.fvm" "$T/imgs/rgb.png" --resize squash
harness_finish
