/* test-backend-private.h — the test backend's objects, shared by its files.
 *
 * hull-backend-test.c holds the module, hypervisor, proto partition and
 * partition; test-processor.c the binders and processors. docs/test-backend.md
 * describes the backend.
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-sync.h"

G_BEGIN_DECLS

/* Version of both saved-state blobs. */
#define TEST_SAVE_VERSION 1

/* GVariant types of the saved-state blobs (both fixed-size). */
#define TEST_PARTITION_SAVE_TYPE "(uutttttt)"
#define TEST_PROCESSOR_SAVE_TYPE "(uuttt)"

/* Number of hardware breakpoints, as x86's DR0–DR3. */
#define TEST_MAX_BREAKPOINTS 4

/* How often a waiting VP looks at its stop flag when nobody kicks it. */
#define TEST_STOP_POLL_US (100 * G_TIME_SPAN_MILLISECOND)

typedef struct _TestPartition TestPartition;

/**
 * TestVp:
 *
 * One VP of a partition, owned by the partition. The binder is embedded, so
 * a binder that is never bound leaks nothing. @steps, @apic_id and the fault
 * flags are immutable after build; @yield is atomic; @lock and @wake pair
 * request_yield() with a VP waiting in a spin or idle. The locks are
 * hull-sync.h's, so that a --enable-tsan build can see them.
 */
typedef struct
{
  HullProcessorBinder binder;
  TestPartition *partition;
  guint index;
  guint32 apic_id;
  HullTestStep *steps;
  guint n_steps;
  gboolean has_program;
  gboolean fault_bind;
  gboolean fault_run;

  gint yield; /* atomic: request_yield() happened */
  gint bound; /* atomic: a processor is bound */
  HullMutex lock;
  HullCond wake;
} TestVp;

/* VM-wide counters; the partition's lock guards them. */
typedef struct
{
  guint64 msis;
  guint64 ioapic_routes;
  guint64 ioapic_asserts;
  guint64 lint_pulses;
  guint64 accepted_ranges;
  guint64 accepted_pages;
} TestCounters;

struct _TestPartition
{
  HullPartition parent;
  HullPartitionCaps caps;
  char *name;
  guint n_vps;
  TestVp *vps;

  HullMutex lock;
  TestCounters counters;
  guint64 resets; /* not VM state: how often reset() ran */
};

/* test-processor.c */
extern const HullProcessorBinderOps test_binder_ops;

/* hull-backend-test.c */
void test_vp_init (TestVp *vp, guint index, guint32 apic_id, const HullTestVpProgram *program);
void test_vp_clear (TestVp *vp);

G_END_DECLS
