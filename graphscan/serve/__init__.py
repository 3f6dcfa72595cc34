"""The investigator workbench (`graphscan serve`): an ASGI app over the same store, case
book and evidence package as the CLI, with users, roles and a hash-chained audit log kept
in the deployment's workspace."""
