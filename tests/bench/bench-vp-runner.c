/* bench-vp-runner — what the partition unit and VP runners cost, apart from
 * any hypervisor: a mock backend whose VPs wait in run() (tests/mock-backend.c).
 *
 * For 1, 2 and 8 VPs it prints the median and p90 of
 *   pause-resume   stop_vps() + release until every VP is back in run()
 *   yield          request_yield() → that VP's run() returns
 *   start          unit start → every VP has entered run()
 * as lines "bench-vp-runner vps=N metric=… median_us=… p90_us=… iterations=…".
 * It never fails on timing. QEMU and libvirt have no equivalent of these
 * in-process paths to time; their pause/resume goes through QMP or the
 * libvirt API, so the figures are not compared side by side.
 */
#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "hull-partition-unit.h"
#include "mock-backend.h"

#define WAIT (10 * G_USEC_PER_SEC)

typedef struct
{
  MockPartition *mock;
  HullHalt *halt;
  HullPartitionUnit *unit;
  guint n_vps;
} Bench;

static void
bench_init (Bench *b, guint n_vps)
{
  g_autofree HullProcessorBinder **binders = NULL;
  g_autoptr (GError) error = NULL;

  b->n_vps = n_vps;
  b->mock = mock_partition_new (n_vps, &binders);
  b->halt = hull_halt_new ();
  b->unit = hull_partition_unit_new (&b->mock->base, binders, n_vps, b->halt, mock_cpu_io (),
                                     b->halt, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
bench_clear (Bench *b)
{
  hull_partition_unit_free (b->unit);
  hull_halt_unref (b->halt);
}

static void
wait_all_in_run (Bench *b)
{
  for (guint i = 0; i < b->n_vps; i++)
    if (!mock_wait_in_run (b->mock, i, TRUE, WAIT))
      g_error ("VP %u did not enter run()", i);
}

static int
compare (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static void
report (guint n_vps, const char *metric, GArray *samples)
{
  g_array_sort (samples, compare);
  printf ("bench-vp-runner vps=%u metric=%s median_us=%" G_GINT64_FORMAT " p90_us=%" G_GINT64_FORMAT
          " iterations=%u\n",
          n_vps, metric, g_array_index (samples, gint64, samples->len / 2),
          g_array_index (samples, gint64, samples->len * 9 / 10), samples->len);
}

static void
bench_pause_resume (Bench *b, guint iterations)
{
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));

  hull_partition_unit_start (b->unit);
  wait_all_in_run (b);
  for (guint i = 0; i < iterations; i++)
    {
      gint64 start = g_get_monotonic_time ();
      HullStopGuard *guard = hull_partition_unit_stop_vps (b->unit);
      gint64 elapsed;

      hull_stop_guard_release (guard);
      wait_all_in_run (b);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (samples, elapsed);
    }
  hull_partition_unit_stop (b->unit);
  report (b->n_vps, "pause-resume", samples);
}

static void
bench_yield (Bench *b, guint iterations)
{
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  HullPartition *partition = hull_partition_unit_get_partition (b->unit);

  hull_partition_unit_start (b->unit);
  wait_all_in_run (b);
  for (guint i = 0; i < iterations; i++)
    {
      guint vp = i % b->n_vps;
      guint64 runs = mock_vp_snapshot (b->mock, vp).runs;
      gint64 latency;

      hull_partition_request_yield (partition, vp);
      /* The runner calls run() again once the yield came back. */
      if (!mock_wait_runs (b->mock, vp, runs, WAIT))
        g_error ("VP %u did not yield", vp);
      latency = mock_vp_snapshot (b->mock, vp).yield_latency;
      g_array_append_val (samples, latency);
    }
  hull_partition_unit_stop (b->unit);
  report (b->n_vps, "yield", samples);
}

static void
bench_start (Bench *b, guint iterations)
{
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < iterations; i++)
    {
      gint64 start = g_get_monotonic_time ();
      gint64 elapsed;

      hull_partition_unit_start (b->unit);
      wait_all_in_run (b);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (samples, elapsed);
      hull_partition_unit_stop (b->unit);
    }
  report (b->n_vps, "start", samples);
}

int
main (int argc, char **argv)
{
  static const guint vp_counts[] = { 1, 2, 8 };
  guint iterations = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 2000;

  if (iterations == 0)
    iterations = 2000;
  printf ("# partition unit and VP runners over a mock backend, %u iterations each, %u CPUs\n",
          iterations, g_get_num_processors ());
  for (guint i = 0; i < G_N_ELEMENTS (vp_counts); i++)
    {
      Bench b = { 0 };

      bench_init (&b, vp_counts[i]);
      bench_pause_resume (&b, iterations);
      bench_yield (&b, iterations);
      bench_start (&b, iterations);
      bench_clear (&b);
    }
  printf ("# qemu/libvirt: no in-process equivalent to time side by side (pause/resume there "
          "goes through QMP or the libvirt API)\n");
  return 0;
}
