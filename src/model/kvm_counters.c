#include "kvm_counters.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct kvm_counters {
	atomic_size_t refs; /* the exporter's HTTP thread copies snapshots too */
	size_t n;
	uint64_t exits;     /* code of "exits", UINT64_MAX when there is none */
	bool exits_in_total;
	char *names[];
};

struct kvm_counters *kvm_counters_new(const char *const *names, size_t n, bool exits_in_total)
{
	struct kvm_counters *kc = calloc(1, sizeof(*kc) + n * sizeof(kc->names[0]));
	if (!kc)
		return NULL;
	atomic_init(&kc->refs, 1);
	kc->exits = UINT64_MAX;
	kc->exits_in_total = exits_in_total;
	for (; kc->n < n; kc->n++) {
		if (!(kc->names[kc->n] = strdup(names[kc->n]))) {
			kvm_counters_unref(kc);
			return NULL;
		}
		if (kc->exits == UINT64_MAX && !strcmp(names[kc->n], "exits"))
			kc->exits = kc->n;
	}
	return kc;
}

struct kvm_counters *kvm_counters_ref(struct kvm_counters *kc)
{
	if (kc)
		atomic_fetch_add(&kc->refs, 1);
	return kc;
}

void kvm_counters_unref(struct kvm_counters *kc)
{
	if (!kc || atomic_fetch_sub(&kc->refs, 1) != 1)
		return;
	for (size_t i = 0; i < kc->n; i++)
		free(kc->names[i]);
	free(kc);
}

const char *kvm_counters_name(const struct kvm_counters *kc, uint64_t code)
{
	return kc && code < kc->n ? kc->names[code] : NULL;
}

bool kvm_counters_in_total(const struct kvm_counters *kc, uint64_t code)
{
	return kc && kc->exits_in_total && code == kc->exits;
}
