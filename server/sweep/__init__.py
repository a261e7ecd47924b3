"""Parameter sweeps and capacity planning (issue 7), shared by the server and the CLI.

The pieces, each in its own module:

  spec      a SweepSpec proto -> points: field paths resolved on SimConfig, values coerced
            (enum names, "off", units), ranges and Latin-hypercube / random samples expanded,
            replication seeds derived, every point validated (errors name the axis and path)
  stats     Student-t 95 % confidence intervals; the summary figures of a point
  work      the task function that runs a batch of simulations (in a worker process, a Dask
            worker, or a thread)
  engine    where batches run: a local process pool by default, Dask distributed given a
            scheduler address — both behind one concurrent.futures.Executor interface
  runner    the sweep loop: batches replications into tasks, keeps the engine busy, builds a
            SweepPoint (metrics with CIs, the runs) as soon as a point's runs are all in
  plan      the capacity-planning searches (galloping + bisection, grid + refinement) and
            their plain-English answers
  store, jobs, servicer
            the durable SweepService of the gRPC server (SQLite next to the job store)

Nothing here imports clients/; the CLI (clients/cli_sweep.py) uses spec, engine, runner and
plan directly for in-process runs, or talks to a server's SweepService.
"""
