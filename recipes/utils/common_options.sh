#!/usr/bin/env bash
# The options every recipe has, with their defaults; sourced by run.sh before its own options (which it may
# set to other defaults after this line). utils/parse_options.sh accepts and lists both.
stage=0                 # first stage to run
stop_stage=100          # last stage to run
seeds="1 2 3"           # one run per system and seed
nj=2                    # parallel jobs for data and features
train_args=""           # extra section.key=value overrides for sedkit train
train_jobs=1            # trainings run at once on the CPU (each gets nproc/train_jobs threads; log in exp/<run>/)
device=cpu              # cpu, cuda or auto
data=data               # corpus and its tables
dump=dump               # features
exp=exp                 # experiments
results_note=""         # an extra line for the results file (say how the runs in --exp were made)
results=RESULTS.md      # results file written by the last stage
