/* mock-backend.h — an in-test backend whose VPs do exactly what a test says.
 *
 * Each mock VP's run() waits inside "the hypervisor" (a condition variable)
 * until it is kicked (request_yield), told to stop, or given an exit to return
 * by the test. Counters record what happened on which thread, so tests can
 * check the partition unit's state tables row by row.
 */
#pragma once

#include "hull-backend.h"
#include "hull-sync.h"

G_BEGIN_DECLS

typedef struct _MockPartition MockPartition;
typedef struct _MockVp MockVp;

struct _MockVp
{
  HullProcessor base;
  MockPartition *partition;
  GThread *thread; /* the bound thread */

  /* All below under partition->mutex. */
  gboolean yield;
  gboolean has_exit; /* the test scripted an exit */
  HullVpExit exit;   /* …this one */
  gboolean io_halt;  /* on the next run, write the power-off port */
  gboolean spin;     /* run() busy-loops instead of sleeping */
  gboolean in_run;
  guint64 runs;  /* run() calls */
  guint64 steps; /* "guest instructions": one per wake-up in run() */
  guint64 resets, scrubs, initial_loads, mtrr_loads, restores;
  guint64 wrong_thread;      /* ops called off the bound thread */
  gint64 yield_requested_at; /* g_get_monotonic_time() of the last kick */
  gint64 yield_latency;      /* kick → run() returning YIELD, µs */
  HullX86Registers registers;
};

struct _MockPartition
{
  HullPartition base;
  HullMutex mutex;
  HullCond cond; /* any change */
  guint n_vps;
  MockVp **vps;
  gboolean bound_any;
  guint64 resets, scrubs, accepted, saves, restores, yields;
  gboolean fail_reset;
  gboolean destroyed;
  gint *destroyed_flag; /* set to 1 on destroy, if not NULL */
};

/* Builds a partition with @n_vps VPs; *binders gets g_new'd binders. */
MockPartition *mock_partition_new (guint n_vps, HullProcessorBinder ***binders);

/* The port whose write makes the test CpuIo raise a power-off halt. */
#define MOCK_POWER_OFF_PORT 0x604

/* A CpuIo whose write to MOCK_POWER_OFF_PORT calls hull_halt_halt() on the
 * HullHalt passed as io_data, as a chipset device does. */
const HullCpuIo *mock_cpu_io (void);

/* Makes VP @vp's run() return @exit once. */
void mock_vp_exit (MockPartition *partition, guint vp, HullVpExit exit);

/* Makes VP @vp write the power-off port from inside run(). */
void mock_vp_io_halt (MockPartition *partition, guint vp);

/* Waits until VP @vp is (or is not) inside run(), at most @timeout_us;
 * returns whether it happened. */
gboolean mock_wait_in_run (MockPartition *partition, guint vp, gboolean in_run, gint64 timeout_us);

/* Waits until VP @vp has made more than @runs run() calls. */
gboolean mock_wait_runs (MockPartition *partition, guint vp, guint64 runs, gint64 timeout_us);

/* A consistent copy of a VP's counters. */
MockVp mock_vp_snapshot (MockPartition *partition, guint vp);

G_END_DECLS
