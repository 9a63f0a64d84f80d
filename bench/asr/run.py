#!/usr/bin/python3
"""ASR benchmark (issue 5): our compiled-LM recognizer vs PocketSphinx's stock
generic LM on the same audio, through `hearth pipeline --no-wake`.

usage: bench/asr/run.py --hearth BUILD/daemon/hearth --data DIR [--out DIR] [--quick]
                        [--asr JSON] [--conditions clean:ours,snr10:ours+NS,...]
  DIR is made by tools/asr/make_testset.py (clean/, snr10/, snr5/, manifest.jsonl).
  --asr JSON      an "asr" object for our recognizer (decoder tuning on the DEV set:
                  tools/asr/make_testset.py DIR --dev)
  --conditions    a subset of the audio:recognizer rows (default: all)
Prints a markdown table; writes per-condition JSON lines into --out.
"""
import argparse, json, os, re, subprocess, sys, concurrent.futures as cf

CONTRACTIONS = {"what's": "what is", "it's": "it is", "i'd": "i would", "i'm": "i am", "let's": "let us",
                "there's": "there is", "don't": "do not", "isn't": "is not", "that's": "that is",
                "where's": "where is", "how's": "how is", "who's": "who is", "i'll": "i will", "we're": "we are",
                "you're": "you are", "can't": "can not", "won't": "will not", "doesn't": "does not"}


def norm(text):
    words = re.findall(r"[a-z0-9']+", (text or "").lower())
    out = []
    for w in words:
        out.extend(CONTRACTIONS.get(w, w).split())
    return out


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def run_pipeline(hearth, files, extra, out_path):
    cmd = ["nice", "-n", "10", hearth, "pipeline", "--no-wake"] + extra + files
    with open(out_path, "w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL)
    rows = {}
    for line in open(out_path):
        j = json.loads(line)
        rows[os.path.basename(j["file"])] = j
    return rows


def intent_key(intent):
    if not intent:
        return None
    return json.dumps({"name": intent["name"], "slots": intent.get("slots", {})}, sort_keys=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hearth", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default="/tmp/hearth-asr-bench")
    ap.add_argument("--quick", action="store_true", help="first 80 items only")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--asr", default="")
    ap.add_argument("--conditions", default="")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    items = [json.loads(l) for l in open(os.path.join(a.data, "manifest.jsonl"))]
    if a.quick:
        items = items[:60] + [i for i in items if i["kind"] == "oog"][:20]
    # Reference intents: the template grammar on the written text.
    p = subprocess.run([a.hearth, "parse"], input="\n".join(i["text"] for i in items) + "\n",
                       capture_output=True, text=True, check=True)
    refs = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(refs) == len(items), "hearth parse returned %d lines for %d items" % (len(refs), len(items))
    for it, r in zip(items, refs):
        it["ref_intent"] = intent_key(r["intent"])

    conditions = [("clean", "ours", []), ("clean", "ours + NS", ["--ns"]), ("clean", "generic LM", ["--baseline"]),
                  ("snr10", "ours", []), ("snr10", "ours + NS", ["--ns"]), ("snr10", "generic LM", ["--baseline"]),
                  ("snr5", "ours", []), ("snr5", "ours + NS", ["--ns"])]
    if a.conditions:
        want = set(a.conditions.split(","))
        conditions = [c for c in conditions if "%s:%s" % (c[0], c[1].replace(" ", "")) in want]
    if a.asr:
        conditions = [(c, n, e + (["--asr", a.asr] if n != "generic LM" else [])) for c, n, e in conditions]
    results = {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = {}
        for cond, name, extra in conditions:
            files = [os.path.join(a.data, cond, i["file"]) for i in items]
            out = os.path.join(a.out, "%s_%s.jsonl" % (cond, name.replace(" ", "_").replace("+", "")))
            futs[ex.submit(run_pipeline, a.hearth, files, extra, out)] = (cond, name)
        for f in cf.as_completed(futs):
            results[futs[f]] = f.result()

    print("| audio | recognizer | WER | exact command (all) | exact (grammar-covered) | OOG rejected | RTF | EoS→action p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for cond, name, _ in conditions:
        rows = results[(cond, name)]
        errs = words = 0
        exact = covered_exact = covered = n_cmd = 0
        oog = oog_rej = 0
        rtf, lat = [], []
        for it in items:
            r = rows.get(it["file"])
            if r is None or "error" in r:
                continue
            got = intent_key(r.get("intent"))
            if it["kind"] == "oog":
                oog += 1
                oog_rej += got is None
                continue
            n_cmd += 1
            ref = norm(it["text"])
            errs += edit_distance(ref, norm(r.get("transcript") or r.get("asr_text", "")))
            words += len(ref)
            ok = got is not None and got == it["ref_intent"]
            exact += ok
            if it["ref_intent"] is not None:
                covered += 1
                covered_exact += ok
            rtf.append(r.get("rtf", 0))
            L = r.get("latency_ms") or {}
            if got is not None and L:
                lat.append(L["end_of_speech_to_transcript"] + L["to_intent"] + L["to_action"])
        row = {"audio": cond, "recognizer": name, "wer": errs / max(words, 1), "exact": exact / max(n_cmd, 1),
               "exact_covered": covered_exact / max(covered, 1), "covered": covered, "n_commands": n_cmd,
               "oog_rejected": oog_rej / max(oog, 1), "n_oog": oog, "rtf": sum(rtf) / max(len(rtf), 1),
               "lat_p50": pct(lat, 50), "lat_p95": pct(lat, 95)}
        summary.append(row)
        print("| %s | %s | %.1f%% | %.1f%% | %.1f%% (%d) | %.1f%% (%d) | %.3f | %.0f / %.0f |" % (
            cond, name, 100 * row["wer"], 100 * row["exact"], 100 * row["exact_covered"], covered,
            100 * row["oog_rejected"], oog, row["rtf"], row["lat_p50"], row["lat_p95"]))
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
