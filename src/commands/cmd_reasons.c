/* kvmexitstat reasons [vmx|svm] [-o table|json|csv] */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "reasons.h"
#include "render.h"

static void usage(FILE *out)
{
	fputs("Usage: kvmexitstat reasons [-o table|json|csv] [vmx|svm]\n"
	      "Print the exit-reason tables: code, the name Linux's kvm_exit tracepoint prints,\n"
	      "an alias or the SVM_EXIT_* define, and the SDM/APM description.\n",
	      out);
}

int cmd_reasons(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format format = OUT_TABLE;
	enum isa isa = ISA_UNKNOWN;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (out_format_parse(optarg, &format)) {
				fprintf(stderr, "kvmexitstat reasons: -o: '%s' is not table, json or csv\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (optind + 1 < argc || isa_parse(argv[optind], &isa)) {
			fprintf(stderr, "kvmexitstat reasons: expected 'vmx' or 'svm', got '%s'\n", argv[optind]);
			return EXIT_USAGE;
		}
	}
	if (render_reasons(stdout, isa, format)) {
		perror("kvmexitstat reasons: write");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
