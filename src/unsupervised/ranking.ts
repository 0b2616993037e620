// Ranking metrics for recommendation: recall@k and NDCG@k with binary relevance, over a
// users x items score matrix, held-out relevant items per user, and items to leave out of
// the ranking (those seen in training). Ties rank the lower item index first, so results
// are deterministic. Logs from + - * / only (log64).
import { Tensor } from "../tensor.js";
import { show } from "../validate.js";
import { log64 } from "./linalg.js";

export interface RankingInput {
  /** Scores, users x items row-major (a [users, items] tensor or flat values). */
  scores: Tensor | ArrayLike<number>;
  /** Items per user row. */
  items: number;
  /** Per user, the relevant (held-out positive) items; users with none are skipped. */
  relevant: ArrayLike<number>[];
  /** Per user, items not ranked (seen in training), or none. */
  exclude?: ArrayLike<number>[];
}

function rows(who: string, input: RankingInput, k: number): { s: ArrayLike<number>; users: number } {
  if (!(Number.isInteger(k) && k > 0)) throw new Error(`${who}: k must be a positive integer, got ${show(k)}`);
  const s = input.scores instanceof Tensor ? input.scores.data() : input.scores;
  if (!(Number.isInteger(input.items) && input.items > 0)) throw new Error(`${who}: items must be a positive integer, got ${show(input.items)}`);
  if (s.length % input.items !== 0) throw new Error(`${who}: ${s.length} scores are not whole rows of ${input.items} items`);
  const users = s.length / input.items;
  if (input.relevant.length !== users) throw new Error(`${who}: relevant has ${input.relevant.length} users, scores have ${users}`);
  if (input.exclude && input.exclude.length !== users) throw new Error(`${who}: exclude has ${input.exclude.length} users, scores have ${users}`);
  return { s, users };
}

/** The top k items of one user's scores (highest first; ties: lower index first), skipping `exclude`. */
export function rankItems(scores: ArrayLike<number>, k: number, exclude?: ArrayLike<number>, offset = 0, items = scores.length - offset): number[] {
  const skip = new Set(exclude ? Array.from(exclude) : []);
  const ids: number[] = [];
  for (let j = 0; j < items; j++) {
    if (skip.has(j)) continue;
    if (Number.isNaN(scores[offset + j])) throw new Error(`rankItems: the score of item ${j} is NaN`);
    ids.push(j);
  }
  ids.sort((a, b) => scores[offset + b] - scores[offset + a] || a - b);
  return ids.slice(0, k);
}

function perUser(who: string, input: RankingInput, k: number, score: (top: number[], rel: Set<number>) => number): number {
  const { s, users } = rows(who, input, k);
  let total = 0, counted = 0;
  for (let u = 0; u < users; u++) {
    const rel = new Set(Array.from(input.relevant[u]));
    if (rel.size === 0) continue;
    total += score(rankItems(s, k, input.exclude?.[u], u * input.items, input.items), rel);
    counted++;
  }
  return counted ? total / counted : NaN;
}

/** Mean over users with a relevant item of |top-k ∩ relevant| / |relevant|. */
export function recallAtK(input: RankingInput, k: number): number {
  return perUser("recallAtK", input, k, (top, rel) => top.filter((j) => rel.has(j)).length / rel.size);
}

const LN2 = 0.6931471805599453;
const discount = (rank: number) => LN2 / log64(rank + 1); // 1 / log2(rank + 1), rank from 1

/**
 * Mean over users with a relevant item of DCG@k / IDCG@k, DCG = sum over the top k of
 * rel_r / log2(r + 1) (binary rel), IDCG the same for the best order (min(k, |relevant|) hits).
 */
export function ndcgAtK(input: RankingInput, k: number): number {
  return perUser("ndcgAtK", input, k, (top, rel) => {
    let dcg = 0, idcg = 0;
    top.forEach((j, r) => { if (rel.has(j)) dcg += discount(r + 1); });
    for (let r = 0; r < Math.min(k, rel.size); r++) idcg += discount(r + 1);
    return dcg / idcg;
  });
}
