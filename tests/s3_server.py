"""A real S3 server for the backup tests: moto's server (Flask/Werkzeug, the S3 REST API over
HTTP) on 127.0.0.1, on a free port, with the buckets named on the command line. Prints
"PORT <n>" once it serves, and serves until its standard input closes (the test ends).

Also an independent S3 client for the tests' look at the bucket (boto3, not our code):
    s3_server.py inspect ENDPOINT BUCKET
prints each object as "KEY SIZE" and then, for each line of standard input (a needle as
hex), "FOUND <hex> IN <key>" wherever those bytes occur in an object; and
    s3_server.py tamper ENDPOINT BUCKET PREFIX
removes one photo object and changes a byte of another.
"""
import sys

import boto3

CREDENTIALS = dict(aws_access_key_id="test-access-key", aws_secret_access_key="test-secret-key", region_name="us-east-1")


def serve(buckets):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
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
