"""A real S3 server for the backup tests: moto's server (Flask/Werkzeug, the S3 REST API over
HTTP) on 127.0.0.1, on a free port, with the buckets named on the command line. Prints
"PORT <n>" once it serves, and serves until its standard input closes (the test ends).

Two ways a provider's server fails, in front of moto, for the error tests:
    --flaky        every request is first answered 503 SlowDown (as S3 and B2 do when
                   busy); the same request sent again is served. The completion of a
                   multipart upload is carried out the first time, and only its answer
                   lost (the 503 comes instead).
    --cap BYTES    uploads are refused once the bucket holds BYTES, as Backblaze B2 refuses
                   them past an account's storage cap: 403 AccessDenied, "Cannot upload
                   files, storage cap exceeded."
    --slow SECONDS every upload (PUT) is answered SECONDS late, as over a slow link.

Also an independent S3 client for the tests' look at the bucket (boto3, not our code):
    s3_server.py inspect ENDPOINT BUCKET
prints each object as "KEY SIZE" and then, for each line of standard input (a needle as
hex), "FOUND <hex> IN <key>" wherever those bytes occur in an object; and
    s3_server.py tamper ENDPOINT BUCKET PREFIX
removes one photo object and changes a byte of another.
"""
import sys
import threading
import time

import boto3

CREDENTIALS = dict(aws_access_key_id="test-access-key", aws_secret_access_key="test-secret-key", region_name="us-east-1")


def error(status, code, message):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return status, [("Content-Type", "application/xml")], body.encode()


class Faults:
    """WSGI middleware: the failures above, around moto's application."""

    def __init__(self, app, flaky, cap, slow):
        self.app, self.flaky, self.cap, self.slow = app, flaky, cap, slow
        self.seen = set()
        self.stored = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        method, query = environ["REQUEST_METHOD"], environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if self.slow and method == "PUT":
            time.sleep(self.slow)
        with self.lock:
            refusal = None
            if self.flaky and (method, environ["PATH_INFO"], query) not in self.seen:
                self.seen.add((method, environ["PATH_INFO"], query))
                refusal = error("503 Slow Down", "SlowDown", "Please reduce your request rate.")
            elif self.cap is not None and method == "PUT" and self.stored + length > self.cap:
                refusal = error("403 Forbidden", "AccessDenied", "Cannot upload files, storage cap exceeded.")
            elif method == "PUT":
                self.stored += length
        if refusal:
            status, headers, body = refusal
            if method == "POST" and "uploadId=" in query and refusal[0].startswith("503"):
                # Done, but the answer is lost on the way back.
                b"".join(self.app(environ, lambda *_: None))
            else:
                environ["wsgi.input"].read(length)
            start_response(status, headers + [("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def serve(args):
    from moto.server import ThreadedMotoServer
    from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app, make_server
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    flaky = "--flaky" in args
    cap = int(args[args.index("--cap") + 1]) if "--cap" in args else None
    slow = float(args[args.index("--slow") + 1]) if "--slow" in args else 0.0
    buckets = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--cap", "--slow"))]

    class Server(ThreadedMotoServer):
        def _server_entry(self):
            app = Faults(DomainDispatcherApplication(create_backend_app), flaky, cap, slow)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    server = Server(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", **CREDENTIALS)
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    server.stop()


def inspect(endpoint, bucket):
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    needles = [bytes.fromhex(line.strip()) for line in sys.stdin if line.strip()]
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            print(f"{obj['Key']} {obj['Size']}")
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            for needle in needles:
                if needle in body:
                    print(f"FOUND {needle.hex()} IN {obj['Key']}")


def tamper(endpoint, bucket, prefix):
    """As a provider (or an attacker at it) could: deletes the first photo object under the
    prefix and flips one byte in the middle of the second."""
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/photos/")["Contents"])
    assert len(keys) >= 2
    client.delete_object(Bucket=bucket, Key=keys[0])
    body = bytearray(client.get_object(Bucket=bucket, Key=keys[1])["Body"].read())
    body[len(body) // 2] ^= 1
    client.put_object(Bucket=bucket, Key=keys[1], Body=bytes(body))


if __name__ == "__main__":
    if sys.argv[1:2] == ["inspect"]:
        inspect(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["tamper"]:
        tamper(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        serve(sys.argv[1:])
