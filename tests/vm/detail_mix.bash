# The program of kvmexitgen's guest that the detail tests run (sourced);
# tests/vm/detail_check.py knows these numbers: change them together.
DMIX="--io-out 100@0x3f8 --io-in 30@0x71 --io-out 20@0x80 --mmio-read 15@0xfee00030 --mmio-write 7 --msr-read 12@0x10 --msr-write 9@0x10 --cr8-write 25 --vmcall 11 --hlt 5 --cpuid 50"
