#!/usr/bin/env bash
# bench/gpu-check.sh: is riverwatch's inference GPU-ready on this machine? Unattended, from a
# fresh checkout, in under 8 minutes (each step has its own timeout inside that budget):
#   1. nvidia-smi must see a GPU; Node must be 20 or later (without Node, e.g. on a lent GPU machine
#      with PyTorch and no network, bench/gpu_torch.py measures the models' compute instead);
#   2. npm dependencies with onnxruntime-node's CUDA 12 provider: ONNXRUNTIME_NODE_INSTALL=cuda12
#      (onnxruntime-node/script/install.js then fetches Microsoft.ML.OnnxRuntime.Gpu.Linux from
#      nuget.org into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/): `npm ci` on a fresh
#      checkout, `npm rebuild onnxruntime-node` when node_modules is there without the provider;
#   3. the CUDA 12 / cuDNN 9 libraries that provider links against: the system's when the loader
#      finds them, else NVIDIA's pip wheels installed into node_modules/.cache/riverwatch-cuda
#      (inside the project, nothing system-wide) and put on LD_LIBRARY_PATH;
#   4. npm run bench:inference -- --provider cuda --json (short), which exits 3 when a session
#      could not load CUDA or fell back to CPU;
#   5. one JSON line on stdout: {"ok":true,...figures} or {"ok":false,"stage":...,"error":...}.
#      Exit 0 only when ok; 2: no GPU or no usable Node; 3: CUDA unavailable or CPU fallback; 1: other.
# Progress goes to stderr. Env: GPU_CHECK_SECONDS (per scenario and round, default 3),
# GPU_CHECK_ROUNDS (default 2), GPU_CHECK_MODEL (default models/debris-yolov5),
# GPU_CHECK_SKIP_INSTALL=1 (steps 2-3 skipped: use what is installed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUDGET_S=470 # under 8 minutes in all
ORT_BIN="node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
CUDA_DIR="node_modules/.cache/riverwatch-cuda"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

say() { echo "gpu-check: $*" >&2; }

# One JSON line and the exit code. Node builds the JSON when it can (any message escapes right).
finish_fail() {
  local code="$1" stage="$2" msg="$3"
  say "FAILED ($stage): $msg"
  if command -v node >/dev/null 2>&1; then
    node -e 'console.log(JSON.stringify({ ok: false, stage: process.argv[1], error: process.argv[2] }))' "$stage" "$msg"
  else
    printf '{"ok":false,"stage":"%s","error":"%s"}\n' "$stage" "$(printf '%s' "$msg" | tr -d '"\\\n')"
  fi
  exit "$code"
}

# Seconds a step may take: its own limit, or what is left of the budget.
limit() {
  local left=$((BUDGET_S - SECONDS))
  if ((left < 10)); then finish_fail 1 timeout "out of time (${SECONDS} s of ${BUDGET_S} s used)"; fi
  echo $(($1 < left ? $1 : left))
}

# 1. The GPU and Node.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  finish_fail 2 gpu "nvidia-smi not found: this check needs a machine with an NVIDIA GPU and its driver"
fi
if ! GPU="$(timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)" || [[ -z "$GPU" ]] || [[ "$GPU" == *"No devices"* ]]; then
  finish_fail 2 gpu "nvidia-smi found no usable GPU: ${GPU:-no output}"
fi
say "GPU: ${GPU%%$'\n'*}"
if ! command -v node >/dev/null 2>&1 || (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  finish_fail 2 node "Node.js 20 or later is needed (found: $(node -v 2>/dev/null || echo none)); on a GPU machine with PyTorch but no Node, python3 bench/gpu_torch.py measures the models on the GPU"
fi

# 2. onnxruntime-node with its CUDA provider.
if [[ "${GPU_CHECK_SKIP_INSTALL:-}" != 1 ]]; then
  if [[ ! -d node_modules ]]; then
    say "npm ci with onnxruntime-node's CUDA 12 provider (ONNXRUNTIME_NODE_INSTALL=cuda12)"
    ONNXRUNTIME_NODE_INSTALL=cuda12 timeout "$(limit 300)" npm ci --no-audit --no-fund >&2 ||
      finish_fail 1 install "npm ci failed or timed out (ONNXRUNTIME_NODE_INSTALL=cuda12 fetches the provider from nuget.org: is it reachable?)"
  elif [[ ! -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ]]; then
    say "npm rebuild onnxruntime-node with its CUDA 12 provider (ONNXRUNTIME_NODE_INSTALL=cuda12)"
    ONNXRUNTIME_NODE_INSTALL=cuda12 timeout "$(limit 240)" npm rebuild onnxruntime-node >&2 ||
      finish_fail 1 install "npm rebuild onnxruntime-node failed or timed out (it fetches Microsoft.ML.OnnxRuntime.Gpu.Linux from nuget.org: is it reachable?)"
  fi
  for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
    [[ -f "$ORT_BIN/$lib" ]] || finish_fail 3 install "$ORT_BIN/$lib is missing after the install (ONNXRUNTIME_NODE_INSTALL=cuda12)"
  done

  # 3. The CUDA 12 and cuDNN 9 libraries the provider links against.
  missing() { LD_LIBRARY_PATH="$ORT_BIN:${LD_LIBRARY_PATH:-}" ldd "$ORT_BIN/libonnxruntime_providers_cuda.so" | awk '/not found/ {print $1}' | sort -u | tr '\n' ' '; }
  use_cuda_dir() {
    local dirs
    dirs="$(find "$CUDA_DIR" -type d -path '*/nvidia/*/lib' 2>/dev/null | paste -sd: -)"
    [[ -n "$dirs" ]] && export LD_LIBRARY_PATH="$dirs:${LD_LIBRARY_PATH:-}"
    return 0
  }
  use_cuda_dir
  MISSING="$(missing)"
  if [[ -n "$MISSING" ]]; then
    [[ "$MISSING" == *libcuda.so.1* ]] && finish_fail 2 cuda-libs "libcuda.so.1 (the NVIDIA driver's library) is not found: the driver is not installed in this environment"
    say "libraries the CUDA provider needs are missing: $MISSING; installing NVIDIA's CUDA 12 / cuDNN 9 wheels into $CUDA_DIR"
    PIP=(python3 -m pip)
    "${PIP[@]}" --version >/dev/null 2>&1 || finish_fail 3 cuda-libs "missing $MISSING and no pip to fetch them: install CUDA 12 and cuDNN 9 (e.g. apt-get install cuda-libraries-12-x libcudnn9-cuda-12) or python3-pip"
    EXTRA=()
    "${PIP[@]}" install --help 2>/dev/null | grep -q -- --break-system-packages && EXTRA=(--break-system-packages) # --target writes only into the project
    timeout "$(limit 300)" "${PIP[@]}" install --quiet --no-cache-dir --target "$CUDA_DIR" "${EXTRA[@]}" \
      'nvidia-cuda-runtime-cu12' 'nvidia-cublas-cu12' 'nvidia-cudnn-cu12==9.*' 'nvidia-cufft-cu12' 'nvidia-curand-cu12' >&2 ||
      finish_fail 3 cuda-libs "pip could not install the CUDA 12 / cuDNN 9 wheels into $CUDA_DIR (missing: $MISSING)"
    use_cuda_dir
    MISSING="$(missing)"
    [[ -z "$MISSING" ]] || finish_fail 3 cuda-libs "still missing after installing the wheels: $MISSING"
  fi
fi

# 4. The benchmark on the CUDA provider; it fails (exit 3) rather than measure a CPU fallback.
SECS="${GPU_CHECK_SECONDS:-3}"
ROUNDS="${GPU_CHECK_ROUNDS:-2}"
MODEL="${GPU_CHECK_MODEL:-models/debris-yolov5}"
say "npm run bench:inference -- --provider cuda --json --seconds $SECS --rounds $ROUNDS --model $MODEL"
set +e
timeout "$(limit 300)" npx tsx bench/inference.ts --provider cuda --json --seconds "$SECS" --rounds "$ROUNDS" --model "$MODEL" >"$WORK/report.json" 2>"$WORK/bench.err"
CODE=$?
set -e
cat "$WORK/bench.err" >&2
if ((CODE != 0)); then
  REASON="$(grep -h '^bench:inference: ' "$WORK/bench.err" | tail -1 | sed 's/^bench:inference: //')"
  case "$CODE" in
    3) finish_fail 3 cuda "${REASON:-the CUDA execution provider was not used (see the log above)}" ;;
    124) finish_fail 1 benchmark "the benchmark timed out" ;;
    *) finish_fail 1 benchmark "the benchmark exited with $CODE: ${REASON:-$(tail -3 "$WORK/bench.err" | tr '\n' ' ')}" ;;
  esac
fi

# 5. One line.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const x = r.results;
  const row = (k, c) => x[k] && x[k][c] && { throughput: x[k][c].throughput, p50Ms: x[k][c].p50, p95Ms: x[k][c].p95 };
  console.log(JSON.stringify({
    ok: true, date: r.date, gpu: r.gpu, provider: r.provider, model: r.model, input: r.input.shape, onnxruntime: r.onnxruntime, node: r.node,
    inProcess: { c1: row("in-process", "c1"), c8: row("in-process", "c8") },
    served: { c1: row("served", "c1"), c8: row("served", "c8") },
    servedShm: { c1: row("served-shm", "c1"), c8: row("served-shm", "c8") },
    floor: { inProcessP50Ms: x["floor-in-process"].c1.p50, grpcJsP50Ms: x["floor-grpc-js"].c1.p50 },
    ratios: r.ratios, targets: r.targets, seconds: Number(process.argv[2]),
  }));
' "$WORK/report.json" "$SECONDS"
