#!/usr/bin/env python3
"""Packs MLX's CUDA build (and mlx-lm) from PyPI so that it can travel to the GPU machine,
which has no network, as the MLX peer of gpu_peer.py and lm_peer.py.

    python3 benchmarks/peers/mlx_cuda_pack.py            # writes build/mlx-cuda/mlx-cuda.tar.xz
    python3 benchmarks/peers/mlx_cuda_pack.py --python 3.12 --mlx 0.32.4 --mlx-lm 0.32.2

The wheels (mlx for the GPU machine's Python, mlx-cuda-13, mlx-lm) come from PyPI with
`pip download`. libmlx.so carries device code for six architectures (sm_75 ... sm_121);
packed as it is, it is 70 MB after xz, more than a device call can carry (64 MiB). The
GPU machine is sm_90, so the payloads of the other architectures' cubins, and of PTX for
later architectures (which cannot be compiled for sm_90), are zeroed in place: the fatbin
headers stay, the CUDA runtime picks the sm_90 entry by its header and never reads the
others, and zeros compress to nothing (21 MiB in all). An sm_90 machine is then the only
place the pack works; `scripts/gpu.sh` checks the architecture before it uses it.

On the GPU machine, scripts/gpu.sh unpacks it to /tmp/mlx-site and links the site's
`nvidia` directory to the one PyTorch's wheels installed (cuDNN, NCCL, cuBLAS, NVRTC),
which is where libmlx.so's RPATH looks.
"""
import argparse
import glob
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile

FATBIN_MAGIC = 0xBA55ED50
KIND_PTX = 1
KIND_CUBIN = 2


def zero_foreign_code(path, keep_arch):
    """Zeroes, in `path`'s fatbins, the payload of every cubin whose architecture is not
    `keep_arch` (e.g. 90) and of every PTX entry for a later architecture (which the driver
    cannot compile for keep_arch). Returns (bytes zeroed, cubins kept). Raises if a fatbin
    has no cubin for keep_arch, since that kernel would then have no code on the target."""
    data = bytearray(open(path, "rb").read())
    magic = struct.pack("<I", FATBIN_MAGIC)
    zeroed = kept = 0
    pos = 0
    while (start := data.find(magic, pos)) >= 0:
        version, header_size = struct.unpack_from("<HH", data, start + 4)
        (fat_size,) = struct.unpack_from("<Q", data, start + 8)
        if version != 1 or header_size != 16 or start + 16 + fat_size > len(data):
            pos = start + 4  # the magic number inside something else
            continue
        entry, end = start + 16, start + 16 + fat_size
        has_target = False
        while entry < end:
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", data, entry)
            arch = struct.unpack_from("<I", data, entry + 28)[0]
            body = entry + entry_header
            if kind == KIND_CUBIN and arch == keep_arch:
                has_target = True
                kept += 1
            elif kind == KIND_CUBIN or (kind == KIND_PTX and arch > keep_arch):
                data[body:body + payload] = bytes(payload)
                zeroed += payload
            entry = body + payload
        if not has_target:
            raise RuntimeError(f"{path}: a fatbin at offset {start} has no sm_{keep_arch} cubin")
        pos = end
    open(path, "wb").write(data)
    return zeroed, kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="the GPU machine's Python version")
    parser.add_argument("--mlx", default="0.32.4")
    parser.add_argument("--mlx-lm", default="0.32.2")
    parser.add_argument("--arch", type=int, default=90, help="the GPU's SM version to keep")
    parser.add_argument("--out", default="build/mlx-cuda/mlx-cuda.tar.xz")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mlx-cuda-pack-")
    wheels, site = os.path.join(work, "wheels"), os.path.join(work, "site")
    tag = args.python.replace(".", "")
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--python-version", args.python, "--platform", "manylinux_2_35_x86_64",
           "--implementation", "cp", "--abi", f"cp{tag}", "-d", wheels]
    subprocess.run(pip + [f"mlx=={args.mlx}", f"mlx-cuda-13=={args.mlx}"], check=True)
    subprocess.run(pip[:5] + ["-d", wheels, f"mlx-lm=={args.mlx_lm}"], check=True)
    for wheel in glob.glob(os.path.join(wheels, "*.whl")):
        zipfile.ZipFile(wheel).extractall(site)
    library = os.path.join(site, "mlx", "lib", "libmlx.so")
    zeroed, kept = zero_foreign_code(library, args.arch)
    print(f"libmlx.so: {kept} sm_{args.arch} cubins kept, {zeroed / 1e6:.1f} MB of other "
          "architectures' code zeroed")
    with open(os.path.join(site, "MLX_PACK"), "w") as f:
        f.write(f"mlx {args.mlx} mlx-lm {args.mlx_lm} python {args.python} sm_{args.arch}\n")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with tarfile.open(args.out, "w:xz", preset=6) as tar:
        for name in sorted(os.listdir(site)):
            tar.add(os.path.join(site, name), arcname=name)
    shutil.rmtree(work)
    print(f"{args.out}: {os.path.getsize(args.out) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
