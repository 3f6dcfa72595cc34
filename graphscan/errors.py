"""The one error hierarchy. Everything graphscan raises on purpose (a problem the user can
fix: a bad file, a wrong option, a store that cannot be reached) is a GraphscanError, and
only those become one-line messages in the CLI; anything else is a bug and keeps its
traceback.

Imports nothing from graphscan, so every layer may raise these.
"""

from __future__ import annotations


class GraphscanError(Exception):
    """A problem worth one clear line to the user, no stack trace."""


class InputError(GraphscanError, ValueError):
    """Bad user input: a file that cannot be read, an option or value out of range, an
    unknown case or pattern. Also a ValueError, so code that validates values keeps
    catching it."""


class StoreError(GraphscanError):
    """The store cannot do what was asked: unreachable, refused, timed out, unknown table."""


class ServerError(GraphscanError):
    """The local Neo4j (``graphscan neo4j start``) could not be assembled or started."""


class WorkspaceError(GraphscanError):
    """The workspace folder is missing, busy, or not a graphscan workspace."""


class WorkspaceMissing(WorkspaceError):
    """The folder is not a workspace: only load and demo create one."""


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace's store."""


class KeyProblem(GraphscanError):
    """The pseudonymisation key is missing or is not the key this data was loaded with."""


class KeyMissing(KeyProblem):
    """No key is configured: re-identification is refused. The message is the key file
    that was looked for."""


class KeyMismatch(KeyProblem, WorkspaceError):
    """The key at hand is not the one that pseudonymised the workspace's data."""


class KeyRefused(KeyProblem):
    """The key cannot be used for this workspace (inside it, or a new one where data is)."""
