#!/usr/bin/env python3
"""Cold start of a Lambda binary to its first handled event, measured against a minimal
emulator of the Lambda Runtime API (the same HTTP protocol the Lambda service speaks).

For each run: start the binary with AWS_LAMBDA_RUNTIME_API pointing here, hand it one API
Gateway v2 event on its first `GET .../invocation/next`, and stop the clock when its response
arrives. The binary talks to DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB) for real.

    functions/lambda/bench/startup.py BINARY EVENT.json [RUNS]

Environment: GALERI_TABLE, GALERI_PEPPER and AWS_* as the binary needs them. Prints the
median and the spread in milliseconds, and the status of the response.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Runtime(BaseHTTPRequestHandler):
    event = b""
    handed_out = threading.Event()
    answered = threading.Event()
    answer = b""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if not self.path.endswith("/runtime/invocation/next"):
            self.send_error(404)
            return
        if Runtime.handed_out.is_set():
            # One event per run: later polls wait until the process is stopped.
            Runtime.answered.wait(30)
            time.sleep(30)
            return
        Runtime.handed_out.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", "00000000-0000-4000-8000-000000000001")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:ap-southeast-3:123456789012:function:galeri-bench",
        )
        self.send_header("Content-Length", str(len(Runtime.event)))
        self.end_headers()
        self.wfile.write(Runtime.event)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        Runtime.answer = self.path.encode() + b" " + body
        Runtime.answered.set()


def one_run(binary, event):
    # A fresh emulator per run, so no poll of an earlier process can take this run's event.
    Runtime.event = event
    Runtime.handed_out = threading.Event()
    Runtime.answered = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    environment = dict(os.environ)
    environment.update(
        {
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "AWS_LAMBDA_FUNCTION_NAME": "galeri-bench",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        }
    )
    started = time.perf_counter()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([binary], env=environment, stdout=log, stderr=subprocess.STDOUT)
    ok = Runtime.answered.wait(30)
    elapsed = (time.perf_counter() - started) * 1000
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
    server.shutdown()
    if not ok:
        log.seek(0)
        print(f"no answer within 30 s; the function's log:\n{log.read().decode(errors='replace')}")
        return None, b""
    return elapsed, Runtime.answer


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, event_path = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    event = open(event_path, "rb").read()
    times = []
    answer = b""
    failures = 0
    while len(times) < runs:
        elapsed, answer = one_run(binary, event)
        if elapsed is None:
            # The emulator occasionally loses its first poll to a closed connection; a run that
            # never got its event measures nothing, so it is retried (three times at most).
            failures += 1
            if failures > 3:
                sys.exit("too many runs without an answer")
            continue
        times.append(elapsed)
    path, _, body = answer.partition(b" ")
    try:
        status = json.loads(body).get("statusCode")
        if os.environ.get("SHOW_RESPONSE"):
            print(body.decode(errors="replace"))
    except ValueError:
        status = path.decode()
    print(
        f"{os.path.basename(binary)}: first event handled after {statistics.median(times):.1f} ms "
        f"(median of {runs}; min {min(times):.1f}, max {max(times):.1f}); response status {status}"
    )


if __name__ == "__main__":
    main()
