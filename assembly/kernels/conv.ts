// Convolution and pooling kernels over one NCHW plane set at a time: im2col / col2im
// (the host runs conv2d as im2col then the `matmul` kernel, and back), max pooling with
// saved argmax indices, and average pooling, each with its backward. Scalar: these are
// gathers and scatters bound by memory, not arithmetic; matmul carries the conv FLOPs.
// Output sizes are the host's: oh = (h + 2 ph - dh (kh - 1) - 1) / sh + 1, likewise ow.

// x (c, h, w) one image -> col (c*kh*kw, oh*ow): row (ci*kh + ki)*kw + kj, column oy*ow + ox,
// holding x[ci, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw], 0 where that falls in the padding.
// Rows match a weight [out_c, c, kh, kw] seen as (out_c, c*kh*kw).
export function im2col(col: usize, x: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32): void {
  let p = col;
  for (let ci = 0; ci < c; ci++) {
    const plane = x + (<usize>(ci * h * w) << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ki * dh;
          if (iy < 0 || iy >= h) { memory.fill(p, 0, <usize>ow << 2); p += <usize>ow << 2; continue; }
          const row = plane + (<usize>(iy * w) << 2);
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * sw - pw + kj * dw;
            store<f32>(p, ix >= 0 && ix < w ? load<f32>(row + (<usize>ix << 2)) : 0);
            p += 4;
          }
        }
      }
    }
  }
}

// The adjoint of im2col: dx (c, h, w) = the sum of col's entries over every place each input
// element was copied to; overwritten, accumulated in col's row order (fixed).
export function col2im(dx: usize, col: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32): void {
  memory.fill(dx, 0, <usize>(c * h * w) << 2);
  let p = col;
  for (let ci = 0; ci < c; ci++) {
    const plane = dx + (<usize>(ci * h * w) << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ki * dh;
          if (iy < 0 || iy >= h) { p += <usize>ow << 2; continue; }
          const row = plane + (<usize>(iy * w) << 2);
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * sw - pw + kj * dw;
            if (ix >= 0 && ix < w) { const q = row + (<usize>ix << 2); store<f32>(q, load<f32>(q) + load<f32>(p)); }
            p += 4;
          }
        }
      }
    }
  }
}

// x (planes, h, w) -> out (planes, oh, ow) = max over each window (padding never wins);
// idx (planes, oh, ow) i32 = the position iy*w + ix of the first maximum in its plane.
// NaN wins, as in torch.
export function max_pool2d(out: usize, idx: usize, x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32): void {
  let o: usize = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = x + (<usize>(pl * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max(oy * sh - ph, 0), y1 = min(oy * sh - ph + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max(ox * sw - pw, 0), x1 = min(ox * sw - pw + kw, w);
        let best: f32 = -Infinity, bi = y0 * w + x0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const v = load<f32>(plane + (<usize>(iy * w + ix) << 2));
            if (v > best || (v != v && best == best)) { best = v; bi = iy * w + ix; }
          }
        }
        store<f32>(out + o, best);
        store<i32>(idx + o, bi);
        o += 4;
      }
    }
  }
}

// dx (planes, h, w) = 0 but dy added at each window's argmax (overlapping windows add up,
// in output order).
export function max_pool2d_grad(dx: usize, idx: usize, dy: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  memory.fill(dx, 0, <usize>(planes * h * w) << 2);
  let o: usize = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = dx + (<usize>(pl * h * w) << 2);
    for (let k = 0; k < oh * ow; k++) {
      const q = plane + (<usize>load<i32>(idx + o) << 2);
      store<f32>(q, load<f32>(q) + load<f32>(dy + o));
      o += 4;
    }
  }
}

// Divisor of one window: kh*kw when padding counts (torch's default, count_include_pad),
// else the number of real input elements under it.
@inline function poolCount(y0: i32, y1: i32, x0: i32, x1: i32, kh: i32, kw: i32, includePad: i32): f32 {
  return <f32>(includePad ? kh * kw : (y1 - y0) * (x1 - x0));
}

// x (planes, h, w) -> out (planes, oh, ow) = window sums (rows in order) / divisor.
export function avg_pool2d(out: usize, x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, includePad: i32): void {
  let o: usize = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = x + (<usize>(pl * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max(oy * sh - ph, 0), y1 = min(oy * sh - ph + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max(ox * sw - pw, 0), x1 = min(ox * sw - pw + kw, w);
        let s: f32 = 0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) s += load<f32>(plane + (<usize>(iy * w + ix) << 2));
        }
        store<f32>(out + o, s / poolCount(y0, y1, x0, x1, kh, kw, includePad));
        o += 4;
      }
    }
  }
}

// dx (planes, h, w) = each dy / divisor spread over its window (output order).
export function avg_pool2d_grad(dx: usize, dy: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32, includePad: i32): void {
  memory.fill(dx, 0, <usize>(planes * h * w) << 2);
  let o: usize = 0;
  for (let pl = 0; pl < planes; pl++) {
    const plane = dx + (<usize>(pl * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max(oy * sh - ph, 0), y1 = min(oy * sh - ph + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max(ox * sw - pw, 0), x1 = min(ox * sw - pw + kw, w);
        const g = load<f32>(dy + o) / poolCount(y0, y1, x0, x1, kh, kw, includePad);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const q = plane + (<usize>(iy * w + ix) << 2);
            store<f32>(q, load<f32>(q) + g);
          }
        }
        o += 4;
      }
    }
  }
}
