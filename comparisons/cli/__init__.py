"""One module per ``gradverify`` subcommand, plus the options and output they share."""
