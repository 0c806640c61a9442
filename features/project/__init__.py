"""What a project chose, read from its own files: where Ruff must run, which rules its tools
already apply, how it formats, which Python it targets, which `# noqa` codes its tools still read.

A project with a Ruff configuration has said what it wants and Ruff reads it. A project without
one has usually said it all the same, to flake8, isort, pyupgrade, black and pre-commit; this
package turns those declarations into Ruff's terms (`facts.project_facts`), so that the autopilot
applies only fixes the project would have asked for.
"""
