"""Command-line front ends. ``dlp-fix`` lives in :mod:`flake8_dlpractice.cli.fix`."""
