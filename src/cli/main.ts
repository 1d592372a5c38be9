process.stdout.write('kestra-secrets: not implemented yet\n');
