"""How much attack budget the worst case needs: per-image Dice of each attack at several budgets, and the ensembles built from them.

Runs every member (``--members``) at every budget (``--iterations`` x ``--restarts``) and intensity on the
same test images of a trained bundle model, one ``(member, iterations, restarts, eps)`` at a time, and
appends its per-image Dice to ``OUT/budget_per_image.csv`` (a killed run resumes with the combinations
not yet written). Then it prints, per intensity:

1. each member's mean Dice against its budget;
2. the worst case per image (lowest Dice over the members, the clean image included) of each ensemble
   (``--ensemble NAME=MEMBER,MEMBER,...``) at each budget, with its passes per image, its gap to the
   strongest point known (the lowest Dice any run found for that image, over every member and budget)
   and the wall time spent;
3. how often each member gives an image's worst case in each ensemble at its largest budget.

A member runs on every image at every budget here (the evaluator's ensemble skips broken images and
chains intensities, which only lowers its Dice further and saves passes), so the figures measure the
attacks themselves: where an ensemble's worst case stops moving with the budget and sits within 0.01 of
the strongest point known, its budget is enough on that model.

Members: ``targeted_ifgsm`` (the paper's attack; its budget is fixed), ``cospgd``, ``segpgd`` and
``apgd_[targeted_]<loss>[_red]`` with ``<loss>`` one of ``nlcen_monai.attacks.APGD_LOSSES`` (``_red``:
SEA's red-eps schedule).

Usage::

    python benchmarks/worst_case_budget.py --bundle-root runs/study64/at8 --dataset-dir runs/jsrt_64 \\
        --image-size 64 --width 0.5 --test-every 9 --epsilons 8 16 32 --iterations 20 50 100 300 \\
        --members targeted_ifgsm apgd_ce apgd_masked_ce apgd_targeted_ce apgd_js cospgd segpgd apgd_ce_red \\
        --ensemble "strong=targeted_ifgsm,apgd_ce,apgd_masked_ce,apgd_targeted_ce,apgd_js,cospgd,segpgd" \\
        --out runs/study64/budget
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import time
from collections import Counter, defaultdict

import torch

from nlcen_monai.attacks import APGD, APGD_LOSSES, CosPGD, SegPGD, TargetedIFGSM
from nlcen_monai.attacks.base import SegmentationAttack
from nlcen_monai.attacks.worst_case import per_image_scores, predict_classes
from nlcen_monai.utils.atomic import atomic_write_text

COLUMNS = ("member", "iterations", "restarts", "eps", "case_id", "dice", "passes", "seconds")
_APGD = re.compile(r"^apgd_(targeted_)?(.+?)(_red)?$")


def build_member(name: str, iterations: int, restarts: int, seed: int = 0) -> SegmentationAttack:
    """The attack object of a member name at a budget (see the module docstring for the names)."""
    if name == "targeted_ifgsm":
        return TargetedIFGSM()
    if name in ("cospgd", "segpgd"):
        cls = CosPGD if name == "cospgd" else SegPGD
        return cls(steps=iterations, restarts=restarts, seed=seed)
    match = _APGD.match(name)
    if match is None or match.group(2) not in APGD_LOSSES:
        raise SystemExit(f"unknown member {name!r}: see the module docstring")
    targeted, loss, red = match.groups()
    return APGD(loss=loss, targeted=bool(targeted), red_eps=bool(red), iterations=iterations, restarts=restarts, seed=seed)


def load_model_and_data(args):
    """The bundle's network with ``model.pt`` and the test images (every ``test_every``-th) in the pixel domain."""
    from monai.bundle import ConfigParser
    from monai.data import Dataset, list_data_collate

    from nlcen_monai.data import load_datalist

    parser = ConfigParser()
    parser.read_config([os.path.join(args.bundle, "configs", "train.json"), *args.override])
    parser["width"], parser["image_size"], parser["dataset_dir"] = args.width, args.image_size, args.dataset_dir
    net = parser.get_parsed_content("network_def")
    ckpt = os.path.join(args.bundle_root, "models", "model.pt")
    net.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    net.eval()
    items = load_datalist(args.dataset_dir, "test")[:: args.test_every]
    data = list_data_collate(list(Dataset(items, parser.get_parsed_content("validate#preprocessing"))))
    ids = [os.path.splitext(os.path.basename(str(p)))[0] for p in data["image"].meta["filename_or_obj"]]
    return net, torch.as_tensor(data["image"]).float(), torch.as_tensor(data["label"]), ids


def read_rows(path: str) -> list[dict]:
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [
            {**r, "iterations": int(r["iterations"]), "restarts": int(r["restarts"]), "eps": float(r["eps"]),
             "dice": float(r["dice"]), "passes": float(r["passes"]), "seconds": float(r["seconds"])}
            for r in csv.DictReader(f)
        ]


def write_rows(path: str, rows: list[dict]) -> None:
    lines = [",".join(COLUMNS)] + [",".join(f"{r[c]:g}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS) for r in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def run_all(args, rows: list[dict], path: str) -> list[dict]:
    """Run every (member, budget, eps) not yet in ``rows``; rows are written after each one."""
    done = {(r["member"], r["iterations"], r["restarts"], r["eps"]) for r in rows}
    net, images, label, ids = load_model_and_data(args)
    clean = per_image_scores(predict_classes(net, images), label, 2)[0]
    if not any(r["member"] == "clean" for r in rows):
        rows += [dict(member="clean", iterations=0, restarts=0, eps=0.0, case_id=c, dice=float(d), passes=0.0, seconds=0.0)
                 for c, d in zip(ids, clean)]
        write_rows(path, rows)
    # cheapest budgets first, so that a run stopped early has complete tables for them
    plan = [(m, 0, 0) for m in args.members if m == "targeted_ifgsm"]
    plan += [(m, i, r) for r in sorted(args.restarts) for i in sorted(args.iterations) for m in args.members if m != "targeted_ifgsm"]
    for member, iterations, restarts in plan:
        for eps in args.epsilons:
            if (member, iterations, restarts, float(eps)) in done:
                continue
            attack = build_member(member, iterations, restarts, args.seed)
            start = time.perf_counter()
            adv = attack(net, images, label, eps)
            seconds = time.perf_counter() - start
            dice = per_image_scores(predict_classes(net, adv), label, 2)[0]
            passes = attack.cost(eps)
            rows += [dict(member=member, iterations=iterations, restarts=restarts, eps=float(eps), case_id=c,
                          dice=float(d), passes=passes, seconds=seconds / len(ids)) for c, d in zip(ids, dice)]
            write_rows(path, rows)
            print(f"{member:28s} it={iterations:4d} r={restarts} eps={eps:g}: DIC {dice.mean():.3f} "
                  f"({passes:g} passes/image, {seconds:.0f} s)", flush=True)
    return rows


def report(rows: list[dict], ensembles: dict[str, list[str]], epsilons: list[float]) -> None:
    by = defaultdict(dict)  # (member, iterations, restarts, eps) -> {case: (dice, passes, seconds)}
    for r in rows:
        by[(r["member"], r["iterations"], r["restarts"], r["eps"])][r["case_id"]] = (r["dice"], r["passes"], r["seconds"])
    clean = {c: v[0] for c, v in by[("clean", 0, 0, 0.0)].items()}
    cases = sorted(clean)
    budgets = sorted({(k[1], k[2]) for k in by if k[0] not in ("clean", "targeted_ifgsm")})

    def member_at(member: str, budget: tuple[int, int], eps: float):
        return by.get((member, 0, 0, eps) if member == "targeted_ifgsm" else (member, *budget, eps))

    for eps in epsilons:
        best_known = {c: min([clean[c]] + [v[c][0] for k, v in by.items() if k[3] == eps and c in v]) for c in cases}
        print(f"\n### eps {eps:g}: {len(cases)} images, clean DIC {statistics.fmean(clean.values()):.3f}, "
              f"strongest point known {statistics.fmean(best_known.values()):.3f}\n")
        members = sorted({k[0] for k in by if k[0] != "clean" and k[3] == eps})
        print("| member | " + " | ".join(f"it {i} x{r}" for i, r in budgets) + " |")
        print("|---|" + "---:|" * len(budgets))
        for m in members:
            cells = []
            for b in budgets:
                got = member_at(m, b, eps)
                cells.append("-" if not got else f"{statistics.fmean(v[0] for v in got.values()):.3f}")
            print(f"| {m} | " + " | ".join(cells) + " |")
        print("\n| ensemble | budget | worst-case DIC | gap to strongest known | passes / image | seconds / image |")
        print("|---|---|---:|---:|---:|---:|")
        for name, names in ensembles.items():
            for b in budgets:
                runs = [member_at(m, b, eps) for m in names]
                if any(not r for r in runs):
                    continue
                worst = {c: min([clean[c]] + [r[c][0] for r in runs]) for c in cases}
                mean = statistics.fmean(worst.values())
                gap = mean - statistics.fmean(best_known.values())
                passes = sum(next(iter(r.values()))[1] for r in runs)
                seconds = sum(next(iter(r.values()))[2] for r in runs)
                print(f"| {name} | it {b[0]} x{b[1]} | {mean:.3f} | {gap:+.3f} | {passes:g} | {seconds:.1f} |")
        for name, names in ensembles.items():
            top = max((b for b in budgets if all(member_at(m, b, eps) for m in names)), default=None)
            if top is None:
                continue
            runs = {m: member_at(m, top, eps) for m in names}
            wins = Counter(min(names, key=lambda m: runs[m][c][0]) for c in cases)
            print(f"\n{name} at it {top[0]} x{top[1]}: the worst case per image comes from "
                  + ", ".join(f"{m} {n}" for m, n in wins.most_common()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", default="bundles/nlcen_jsrt")
    parser.add_argument("--bundle-root", required=True, help="the trained model's bundle root (models/model.pt)")
    parser.add_argument("--override", nargs="*", default=[], help="override files of the model's configuration")
    parser.add_argument("--dataset-dir", required=True)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--test-every", type=int, default=9)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[8.0, 16.0, 32.0])
    parser.add_argument("--iterations", type=int, nargs="+", default=[20, 50, 100, 300])
    parser.add_argument("--restarts", type=int, nargs="+", default=[1])
    parser.add_argument("--members", nargs="+", required=True)
    parser.add_argument("--ensemble", nargs="*", default=[], help="NAME=MEMBER,MEMBER,... (default: all members)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report-only", action="store_true", help="print the tables from OUT without running")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "budget_per_image.csv")
    rows = read_rows(path)
    if not args.report_only:
        rows = run_all(args, rows, path)
    ensembles = dict(e.split("=", 1) for e in args.ensemble) if args.ensemble else {"all": ",".join(args.members)}
    report(rows, {k: v.split(",") for k, v in ensembles.items()}, args.epsilons)


if __name__ == "__main__":
    main()
