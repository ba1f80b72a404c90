# bash completion for kvmexitstat and kvmexitgen

_kvmexitstat()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		report | record | plot | top | serve | reasons) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	local live="-p --pid -n --name --vcpu --source --count-only --bpf -h --help"
	case $prev in
	-o | --output)
		case $cmd in
		record | plot) COMPREPLY=($(compgen -f -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "table json csv" -- "$cur")) ;;
		esac
		return ;;
	-b | --by) COMPREPLY=($(compgen -W "reason vm vcpu" -- "$cur")); return ;;
	-s | --sort) COMPREPLY=($(compgen -W "count time avg max reason" -- "$cur")); return ;;
	--source) COMPREPLY=($(compgen -W "auto tracepoint stats tracepoint,stats" -- "$cur")); return ;;
	--bpf) COMPREPLY=($(compgen -W "btf classic" -- "$cur")); return ;;
	--isa) COMPREPLY=($(compgen -W "vmx svm" -- "$cur")); return ;;
	--from-trace) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-p | --pid) COMPREPLY=($(compgen -W "$(pgrep -d ' ' -f 'qemu|kvm' 2>/dev/null)" -- "$cur")); return ;;
	esac
	case $cmd in
	report) COMPREPLY=($(compgen -W "-o --output -b --by -s --sort --vcpu --isa --strict -j --threads --from --to -h --help" -- "$cur")) ;;
	record) COMPREPLY=($(compgen -W "-o --output --from-trace --isa $live" -- "$cur")) ;;
	plot) COMPREPLY=($(compgen -W "-o --output -p --pid -t --top -l --latency --from --to --isa -h --help" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "$live" -- "$cur")) ;;
	serve) COMPREPLY=($(compgen -W "--listen --vcpu-label $live" -- "$cur")) ;;
	reasons) COMPREPLY=($(compgen -W "vmx svm -o --output -h --help" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "report record plot top serve reasons -b --by -o --output -s --sort -l --latency -V --version $live" -- "$cur")) ;;
	esac
	# files for the commands that read them
	case $cmd in report | plot) [[ $cur != -* ]] && COMPREPLY+=($(compgen -f -- "$cur")) ;; esac
}
complete -F _kvmexitstat kvmexitstat

_kvmexitgen()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--mode) COMPREPLY=($(compgen -W "auto supervisor user" -- "$cur")); return ;;
	esac
	COMPREPLY=($(compgen -W "--cpuid --io-out --io-in --mmio-read --mmio-write --hlt --msr-read --msr-write
		--vmcall --ud2 --cpuid-query --vcpus --mode --json --hold --bench --bench-exits --rounds --timeout -name
		-V --version -h --help" -- "$cur"))
}
complete -F _kvmexitgen kvmexitgen
