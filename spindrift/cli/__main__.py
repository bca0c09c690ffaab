"""``python -m spindrift.cli``: the ``spindrift`` command without its console script."""

from spindrift.cli.app import app

app(prog_name="spindrift")
