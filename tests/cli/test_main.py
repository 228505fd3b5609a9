import subprocess
import sys

from sedkit.cli.main import COMMANDS, main


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_no_command_and_unknown_command(capsys):
    assert main([]) == 2
    assert main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    for name in COMMANDS:
        assert main([*name.split(), "--help"]) == 0
        assert f"sedkit {name}" in capsys.readouterr().out


def test_console_script_and_import_do_not_load_torch():
    code = ("import sys, sedkit, sedkit.cli.main, sedkit.config, sedkit.io;"
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    result = subprocess.run([sys.executable, "-m", "sedkit.cli.main", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "features" in result.stdout
