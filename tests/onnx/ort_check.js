// Runs the models that `test_onnx_roundtrip --ort DIR` wrote with onnxruntime (npm's onnxruntime-node) and
// compares with fovea's outputs: max |ort - fovea| / max |fovea| <= 1e-5. Prints "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function floats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

async function main(dir) {
  let passed = 0, failed = 0;
  const cases = fs.readFileSync(path.join(dir, 'cases.txt'), 'utf8').trim().split('\n');
  for (const line of cases) {
    const [k, name, opset, shape] = line.split(' ');
    const label = `${name} (opset ${opset})`;
    try {
      const session = await ort.InferenceSession.create(path.join(dir, `model_${k}.onnx`));
      const x = new ort.Tensor('float32', floats(path.join(dir, `input_${k}.bin`)), shape.split('x').map(Number));
      const result = await session.run({ [session.inputNames[0]]: x });
      const y = result[session.outputNames[0]].data, want = floats(path.join(dir, `output_${k}.bin`));
      let diff = 0, ref = 0;
      for (let i = 0; i < want.length; i++) {
        diff = Math.max(diff, Math.abs(y[i] - want[i]));
        ref = Math.max(ref, Math.abs(want[i]));
      }
      const rel = diff / (ref || 1);
      const ok = y.length === want.length && rel <= 1e-5;
      console.log(`${ok ? 'ok' : 'FAIL'} ${label}: onnxruntime within ${rel.toExponential(2)} of fovea`);
      ok ? passed++ : failed++;
    } catch (e) {
      console.log(`FAIL ${label}: ${e.message}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main(process.argv[2]).then((rc) => process.exit(rc), (e) => { console.log(`FAIL ${e.message}\n0 passed, 1 failed`); process.exit(1); });
