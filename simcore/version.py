"""Versions: of gosim itself, and of the Go runtime it models."""

# GOSIM_VERSION follows pyproject.toml's [project].version.
GOSIM_VERSION = "0.1.0"
# GO_VERSION is the Go release whose runtime behaviour the model follows
# (../shared/reference/go-runtime-model.md §1: Go 1.26 development tree, checked on 1.27).
GO_VERSION = "go1.26"
