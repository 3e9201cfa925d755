#!/usr/bin/python3
"""refmatch against numpy and faiss on the same program and prospects.

The program comes from refmatch's seeded generator through `compare_export` (built next to
bench_engine), which also times refmatch and writes its top-k. This script then scores the same
active references for the same prospects with

  (a) numpy, the way a careful notebook user would: per-prospect lookup tables for the industry
      and geography similarity of every code (Wu–Palmer from an ancestor matrix), a dense
      reference × product matrix for coverage, the base score in scoring.md's order, then
      argpartition and a (score desc, position asc) sort of the k survivors;
  (b) faiss exact inner-product search (IndexFlatIP) on an exact encoding of the base score:
      a reference is one-hot over industry codes, geography codes and size bands plus its product
      bits; a prospect's query vector holds the weighted similarity of every code, so that
      <query, reference> is the base score (in float32);

checks that the top-k agree with refmatch's, and prints times and ratios.

  /usr/bin/python3 benchmarks/compare_numpy_faiss.py --build build/engine \
      --references 1000000 --prospects 50 --faiss-references 100000 --faiss-prospects 1000
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

WEIGHTS = (0.35, 0.35, 0.20, 0.10)  # industry, product, geography, size


def load(directory):
    arrays, meta = {}, {}
    with open(os.path.join(directory, "manifest.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                arrays[parts[0]] = np.fromfile(os.path.join(directory, parts[0] + ".bin"),
                                               dtype=parts[1])
            else:
                meta[parts[0]] = parts[1]
    arrays["industry_ancestors"] = arrays["industry_ancestors"].reshape(
        -1, int(meta["industry_width"]))
    arrays["geography_ancestors"] = arrays["geography_ancestors"].reshape(
        -1, int(meta["geography_width"]))
    return arrays, meta


def export(build, references, prospects, k, directory):
    exe = os.path.join(build, "benchmarks", "compare_export")
    subprocess.run([exe, str(references), str(prospects), str(k), directory], check=True)
    return load(directory)


def similarity_table(ancestors, node):
    """Wu–Palmer similarity of `node` with every node of the taxonomy (0 for node -1)."""
    n = ancestors.shape[0]
    if node < 0:
        return np.zeros(n + 1)  # last slot: unknown code
    depth = (ancestors >= 0).sum(axis=1) - 1
    mine = ancestors[node]
    same = (ancestors[:, 1:] == mine[1:]) & (mine[1:] >= 0)
    lca = same.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = 2.0 * lca / (depth[node] + depth).astype(np.float64)
    sim[node] = 1.0
    sim = np.nan_to_num(sim)
    return np.append(sim, 0.0)


def product_matrix(offsets, items, products):
    rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    m = np.zeros((len(offsets) - 1, products), dtype=np.bool_)
    m[rows, items] = True
    return m


def numpy_match(a, meta, i, k, ref_products):
    """The top-k (positions, scores) of prospect i, scoring.md literally, vectorised."""
    w_ind, w_prod, w_geo, w_size = WEIGHTS
    wsum = w_ind + w_prod + w_geo + w_size
    bands = int(meta["size_bands"])
    ind_tab = similarity_table(a["industry_ancestors"], a["prospect_industry"][i])
    geo_tab = similarity_table(a["geography_ancestors"], a["prospect_geography"][i])
    psize = a["prospect_size"][i]
    size_tab = np.zeros(bands + 1)
    if psize >= 0:
        size_tab[:bands] = 1.0 - np.abs(np.arange(bands) - psize) / (bands - 1)
    lo, hi = a["prospect_product_offsets"][i], a["prospect_product_offsets"][i + 1]
    wanted = a["prospect_products"][lo:hi]
    if len(wanted):
        product = ref_products[:, wanted].sum(axis=1) / float(len(wanted))
    else:
        product = np.zeros(ref_products.shape[0])
    # -1 (unknown) indexes the last slot of each table, which holds 0.
    score = (w_ind * ind_tab[a["ref_industry"]] + w_prod * product +
             w_geo * geo_tab[a["ref_geography"]] + w_size * size_tab[a["ref_size"]]) / wsum
    kk = min(k, len(score))
    part = np.argpartition(-score, kk - 1)[:kk]
    # Ties at the boundary: take every reference with the k-th score, then sort by (score, pos).
    kth = score[part].min()
    cand = np.flatnonzero(score >= kth)
    order = np.lexsort((cand, -score[cand]))[:kk]
    return cand[order], score[cand[order]]


def faiss_encode(a, meta):
    n_ind = a["industry_ancestors"].shape[0]
    n_geo = a["geography_ancestors"].shape[0]
    bands = int(meta["size_bands"])
    products = int(meta["products"])
    dim = n_ind + n_geo + bands + products
    n = len(a["ref_industry"])
    x = np.zeros((n, dim), dtype=np.float32)
    rows = np.arange(n)
    known = a["ref_industry"] >= 0
    x[rows[known], a["ref_industry"][known]] = 1
    known = a["ref_geography"] >= 0
    x[rows[known], n_ind + a["ref_geography"][known]] = 1
    known = a["ref_size"] >= 0
    x[rows[known], n_ind + n_geo + a["ref_size"][known]] = 1
    offs = a["ref_product_offsets"]
    prow = np.repeat(rows, np.diff(offs))
    x[prow, n_ind + n_geo + bands + a["ref_products"]] = 1
    return x, (n_ind, n_geo, bands, products)


def faiss_queries(a, meta, shape, count):
    n_ind, n_geo, bands, products = shape
    w_ind, w_prod, w_geo, w_size = WEIGHTS
    wsum = w_ind + w_prod + w_geo + w_size
    q = np.zeros((count, n_ind + n_geo + bands + products), dtype=np.float32)
    for i in range(count):
        q[i, :n_ind] = w_ind / wsum * similarity_table(a["industry_ancestors"],
                                                       a["prospect_industry"][i])[:-1]
        q[i, n_ind:n_ind + n_geo] = w_geo / wsum * similarity_table(
            a["geography_ancestors"], a["prospect_geography"][i])[:-1]
        psize = a["prospect_size"][i]
        if psize >= 0:
            q[i, n_ind + n_geo:n_ind + n_geo + bands] = w_size / wsum * (
                1.0 - np.abs(np.arange(bands) - psize) / (bands - 1))
        lo, hi = a["prospect_product_offsets"][i], a["prospect_product_offsets"][i + 1]
        wanted = a["prospect_products"][lo:hi]
        if len(wanted):
            q[i, n_ind + n_geo + bands + wanted] = w_prod / wsum / len(wanted)
    return q


def agree(ids, scores, ref_ids, ref_scores, tol):
    """Same scores rank by rank (within tol); same ids except among references tied on score."""
    n = int((ref_ids >= 0).sum())
    if len(ids) != n or not np.allclose(scores[:n], ref_scores[:n], atol=tol):
        return False
    for j in range(n):
        if ids[j] != ref_ids[j]:
            tied = abs(ref_scores[j] - scores[j]) <= tol and abs(ref_scores[j] - ref_scores[n - 1]) <= tol
            if not tied and not np.isclose(ref_scores, scores[j], atol=tol).sum() > 1:
                return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build/engine")
    ap.add_argument("--references", type=int, default=1_000_000)
    ap.add_argument("--prospects", type=int, default=50)
    ap.add_argument("--faiss-references", type=int, default=100_000)
    ap.add_argument("--faiss-prospects", type=int, default=1000)
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()
    k = args.k

    with tempfile.TemporaryDirectory() as tmp:
        # (a) numpy vs refmatch, one prospect at a time, one thread.
        a, meta = export(args.build, args.references, args.prospects, k, os.path.join(tmp, "a"))
        n_refs = len(a["ref_industry"])
        ref_products = product_matrix(a["ref_product_offsets"], a["ref_products"],
                                      int(meta["products"]))
        top = a["refmatch_top"].reshape(-1, k)
        top_score = a["refmatch_score"].reshape(-1, k)
        numpy_match(a, meta, 0, k, ref_products)  # warm-up
        t0 = time.perf_counter()
        ok = 0
        for i in range(args.prospects):
            ids, scores = numpy_match(a, meta, i, k, ref_products)
            ok += bool(np.array_equal(ids, top[i][:len(ids)]) and
                       np.array_equal(scores, top_score[i][:len(scores)]))
        numpy_seconds = (time.perf_counter() - t0) / args.prospects
        single = float(meta["refmatch_single_seconds"])
        print(f"single match, {meta['stored_references']} references ({n_refs} active), k={k}, "
              f"one thread, {args.prospects} prospects:")
        print(f"  numpy     {numpy_seconds * 1e3:9.3f} ms/match   "
              f"{numpy_seconds / int(meta['stored_references']) * 1e9:7.2f} ns/reference")
        print(f"  refmatch  {single * 1e3:9.3f} ms/match   "
              f"{single / int(meta['stored_references']) * 1e9:7.2f} ns/reference "
              f"({meta['refmatch_kernel']})")
        print(f"  refmatch is {numpy_seconds / single:.1f}x faster than numpy; "
              f"top-{k} identical (ids and scores) for {ok}/{args.prospects} prospects")
        numpy_ok = ok == args.prospects

        # (b) faiss vs refmatch, a batch of prospects.
        try:
            import faiss
        except ImportError:
            print("faiss is not installed: skipping (b)")
            return 0 if numpy_ok else 1
        b, meta_b = export(args.build, args.faiss_references, args.faiss_prospects, k,
                           os.path.join(tmp, "b"))
        x, shape = faiss_encode(b, meta_b)
        index = faiss.IndexFlatIP(x.shape[1])
        index.add(x)
        del x
        q = faiss_queries(b, meta_b, shape, args.faiss_prospects)
        faiss.omp_set_num_threads(2)
        t0 = time.perf_counter()
        scores, ids = index.search(q, k)
        faiss_seconds = time.perf_counter() - t0
        top = b["refmatch_top"].reshape(-1, k)
        top_score = b["refmatch_score"].reshape(-1, k)
        ok = sum(agree(ids[i], scores[i], top[i], top_score[i], 1e-5)
                 for i in range(args.faiss_prospects))
        batch2 = float(meta_b["refmatch_batch2_seconds"])
        pairs = args.faiss_prospects * int(meta_b["stored_references"])
        print(f"batch, {args.faiss_prospects} prospects x {meta_b['stored_references']} references "
              f"({len(b['ref_industry'])} active), k={k}, 2 threads:")
        print(f"  faiss IndexFlatIP (dim {q.shape[1]})  {faiss_seconds:8.3f} s   "
              f"{pairs / faiss_seconds / 1e9:6.3f} G pairs/s")
        print(f"  refmatch match_batch          {batch2:8.3f} s   "
              f"{pairs / batch2 / 1e9:6.3f} G pairs/s")
        print(f"  refmatch is {faiss_seconds / batch2:.1f}x faster than faiss; top-{k} agree "
              f"(float32 scores within 1e-5, ties aside) for {ok}/{args.faiss_prospects} prospects")
        return 0 if numpy_ok and ok == args.faiss_prospects else 1


if __name__ == "__main__":
    sys.exit(main())
