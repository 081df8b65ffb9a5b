#!/usr/bin/env bash
# Side by side: cache hits through ksn-proxy and through nginx (the careful adapter), the same mock upstream,
# wrk on loopback, 2 interleaved rounds at 8 and 64 connections. Needs: nginx, wrk (Debian packages) and
# `cargo build --release -p ksnsim-mocks -p ksnsim-reference --bins`. Run it from an empty folder (it writes
# ./pki and logs there). Kept beside `ksnsim bench proxy` as an outside cross-check: wrk is a C load generator
# in a process of its own, so its hit figures tell whether ksnsim's own generator (in ksnsim's process, beside
# the mock) flatters or hides a proxy (README, Benchmarks).
set -u
M=$(cd "$(dirname "$0")/.." && pwd)
setsid $M/target/release/ksn-mock --global 127.0.0.1:18443 --pki ./pki > mock.log 2>&1 &
MOCK=$!
sleep 1
setsid $M/target/release/ksn-proxy --listen 127.0.0.1:13111 --upstream https://localhost:18443 --ca pki/ca.pem > proxy.log 2>&1 &
PROXY=$!
setsid bash $M/conformance/nginx/careful.sh 127.0.0.1:13112 https://127.0.0.1:18443 pki/ca.pem > nginx.log 2>&1 &
NGINX=$!
sleep 2
H=$(printf invoice.exe | sha256sum | cut -d' ' -f1)
for port in 13111 13112; do
  curl -s -o /dev/null -H 'KSN-Statement: 1' http://127.0.0.1:$port/v1/reputation/file/$H
  curl -si -H 'KSN-Statement: 1' http://127.0.0.1:$port/v1/reputation/file/$H | grep -i -E "^HTTP|ksn-cache|x-cache" | tr -d '\r' | tr '\n' ' '; echo " <- port $port"
done
for round in 1 2; do
  for c in 8 64; do
    for port in 13111 13112; do
      name=$([ $port = 13111 ] && echo ksn-proxy || echo nginx)
      out=$(wrk -t2 -c$c -d5s --latency -H 'KSN-Statement: 1' http://127.0.0.1:$port/v1/reputation/file/$H 2>&1)
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      p50=$(echo "$out" | awk '$1=="50%" {print $2}')
      p99=$(echo "$out" | awk '$1=="99%" {print $2}')
      non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
      echo "round $round c=$c $name rps=$rps p50=$p50 p99=$p99 non2xx=${non2xx:-0}"
    done
  done
done
curl -s --cacert pki/ca.pem https://127.0.0.1:18443/_mock/log | grep -o '"seq"' | wc -l | sed 's/^/upstream requests: /'
kill -TERM -- -$PROXY -$NGINX -$MOCK 2>/dev/null
sleep 1
kill -KILL -- -$PROXY -$NGINX -$MOCK 2>/dev/null
