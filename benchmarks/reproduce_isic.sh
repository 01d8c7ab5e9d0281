#!/usr/bin/env bash
# The paper's skin-lesion experiment (ISBI 2016 Part 1) on the ISIC 2017 validation subset in the ISBI 2016 layout
# (../shared/data/isic2017_val150: 100 training, 50 test; NOT the ISBI 2016 test set): NLCEN-ResNet-50 and UNet
# with the bundle's augmentation (flips, +/- 10 degree rotations), and NLCEN adversarially trained with
# --models "nlcen unet nlcen_at", through benchmarks/reproduce.sh: every option of that script applies.
#   benchmarks/reproduce_isic.sh --quick                     # smoke run, < 15 min on 2 cores
#   benchmarks/reproduce_isic.sh --size 128 --epochs 15 --test-every 5 --no-strong   # BENCHMARKS.md's 128 x 128 table
#   benchmarks/reproduce_isic.sh --size 128 --epochs 15 --test-every 5 --models "nlcen unet nlcen_at"  # + worst case
exec "$(dirname "$0")/reproduce.sh" --dataset isic "$@"
