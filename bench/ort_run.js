// ONNX Runtime's side of the zoo inference benchmark: median and minimum of `rounds` runs of an ONNX model on a
// random (batch, 3, 224, 224) input after WARMUP (env, default 2) warm-up runs, on `threads` intra-op threads.
// Usage: node ort_run.js MODEL.onnx BATCH THREADS ROUNDS
const ort = require('onnxruntime-node');

async function main() {
    const [path, batch, threads, rounds] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
    const session = await ort.InferenceSession.create(path, {intraOpNumThreads: threads, interOpNumThreads: 1,
                                                            graphOptimizationLevel: 'all'});
    const data = new Float32Array(batch * 3 * 224 * 224).map(() => Math.random());
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, 224, 224])};
    for (let i = 0; i < +(process.env.WARMUP || 2); i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < rounds; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const n = times.length, median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`onnxruntime ${path} batch ${batch}: median ${median.toFixed(3)} ms, min ${times[0].toFixed(3)} ms, ` +
                `${(batch * 1000 / median).toFixed(1)} images/s, ${threads} threads, peak RSS ${rss.toFixed(1)} MiB`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
