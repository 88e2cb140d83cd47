"""The classic pattern, as a baseline for `rowbot run` (npm run bench -- baseline).

One aiohttp ClientSession whose TCPConnector allows as many connections as --concurrency, an
asyncio.Semaphore of the same size, asyncio.gather over every row, a per-request timeout, up to
3 tries per row (0.5 s then 1 s apart, on connection errors, timeouts, 429 and 5xx, holding the
semaphore while it waits, as such scripts usually do), each row's error kept, results keyed by
row and written as a CSV of the input columns and the answers, as `rowbot run --out` writes.
--rpm spaces the starts of requests 60/rpm seconds apart (a shared next-start time), nothing more.

Usage: python3 bench/baseline_aiohttp.py INPUT.csv --template T --base-url URL --model M
       --concurrency C --out OUT.csv [--rpm N] [--timeout S]; the key is in $OPENAI_API_KEY.
"""

import argparse
import asyncio
import csv
import os
import re
import sys
import time

import aiohttp

TRIES = 3
BACKOFF_SECONDS = 0.5


def fill(template, row):
    return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", lambda m: row.get(m.group(1), ""), template)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--template", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rpm", type=float)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    with open(args.input, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = list(reader)

    url = args.base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', '')}"}
    semaphore = asyncio.Semaphore(args.concurrency)
    pace = {"next": 0.0}
    pace_lock = asyncio.Lock()
    results = {}

    async def paced():
        if not args.rpm:
            return
        async with pace_lock:
            now = time.monotonic()
            start = max(now, pace["next"])
            pace["next"] = start + 60 / args.rpm
        await asyncio.sleep(start - now)

    async def one(session, index, row):
        prompt = fill(args.template, row)
        body = {"model": args.model, "messages": [{"role": "user", "content": prompt}]}
        error = ""
        async with semaphore:
            for attempt in range(1, TRIES + 1):
                await paced()
                began = time.monotonic()
                try:
                    async with session.post(url, json=body) as response:
                        if response.status == 200:
                            data = await response.json()
                            choice = data["choices"][0]
                            usage = data.get("usage") or {}
                            results[index] = {
                                "output": choice["message"]["content"],
                                "status": "done",
                                "error": "",
                                "attempts": attempt,
                                "latency_ms": round((time.monotonic() - began) * 1000),
                                "prompt_tokens": usage.get("prompt_tokens", ""),
                                "completion_tokens": usage.get("completion_tokens", ""),
                                "finish": choice.get("finish_reason", ""),
                            }
                            return
                        error = f"HTTP {response.status}: {(await response.text())[:200]}"
                        if response.status != 429 and response.status < 500:
                            break
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as e:
                    error = f"{type(e).__name__}: {e}"
                if attempt < TRIES:
                    await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        results[index] = {"output": "", "status": "failed", "error": error, "attempts": attempt}

    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
        await asyncio.gather(*(one(session, i, row) for i, row in enumerate(rows)))

    fields = ["output", "status", "error", "attempts", "latency_ms", "prompt_tokens", "completion_tokens", "finish"]
    with open(args.out, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(columns + fields)
        for i, row in enumerate(rows):
            result = results.get(i, {})
            writer.writerow([row.get(c, "") for c in columns] + [result.get(k, "") for k in fields])
    failed = sum(1 for r in results.values() if r["status"] != "done")
    print(f"{len(rows) - failed} of {len(rows)} rows done, {failed} failed. Results saved to {args.out}.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
