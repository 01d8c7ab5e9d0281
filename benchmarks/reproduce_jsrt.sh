#!/usr/bin/env bash
# The paper's JSRT experiment on the real radiographs (SCR split: 124 training, 123 test), NLCEN-ResNet-18 and
# UNet with and without NLCE (and adversarially trained with --models "... nlcen_at ..."), through
# benchmarks/reproduce.sh: every option of that script applies (--png-dir is the JSRT PNG copy).
#   benchmarks/reproduce_jsrt.sh --quick                                  # smoke run, < 15 min on 2 cores
#   benchmarks/reproduce_jsrt.sh --size 128 --epochs 15 --test-every 3   # the 128 x 128 tables of BENCHMARKS.md
exec "$(dirname "$0")/reproduce.sh" --dataset jsrt "$@"
