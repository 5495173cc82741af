/* Processor topology: APIC ids, sockets, SMT and the x2APIC decision table
 * (reference: partition-semantics.md §3, processor/x86.rs). */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-topology.h"

#define NO_ERROR (-1)

#define IDS(...)                                                                                   \
  .apic_ids = (const guint32[]){ __VA_ARGS__ },                                                    \
  .n_apic_ids = G_N_ELEMENTS (((const guint32[]){ __VA_ARGS__ }))

typedef struct
{
  const char *path;
  guint sockets, dies, cores, threads;
  HullX2ApicRequest x2apic;
  guint32 apic_id_offset;
  /* An error, or the topology. */
  int error_code;
  const char *error_substring;
  guint vp_count;
  guint vps_per_socket;
  guint n_sockets;
  gboolean smt;
  HullApicMode mode;
  guint32 max_apic_id;
  const guint32 *apic_ids; /* NULL: not checked */
  guint n_apic_ids;
} NewCase;

static const NewCase new_cases[] = {
  { "/hull/topology/new/single-vp", 1, 1, 1, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR, NULL, 1,
    1, 1, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 0, IDS (0) },
  /* 2 sockets × 3 cores × 2 threads: 6 VPs per socket, R = 8. */
  { "/hull/topology/apic-id/pow2-rule", 2, 1, 3, 2, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR,
    NULL, 12, 6, 2, TRUE, HULL_APIC_MODE_X2APIC_SUPPORTED, 13,
    IDS (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13) },
  { "/hull/topology/apic-id/pow2-exact", 2, 1, 4, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR,
    NULL, 8, 4, 2, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 7, IDS (0, 1, 2, 3, 4, 5, 6, 7) },
  /* 3 sockets × 5 VPs: R = 8, ids 0..4, 8..12, 16..20. */
  { "/hull/topology/apic-id/three-sockets-of-five", 3, 1, 5, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    NO_ERROR, NULL, 15, 5, 3, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 20,
    IDS (0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20) },
  { "/hull/topology/apic-id/dies", 1, 2, 2, 2, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR, NULL, 8,
    8, 1, TRUE, HULL_APIC_MODE_X2APIC_SUPPORTED, 7, IDS (0, 1, 2, 3, 4, 5, 6, 7) },
  /* 3 cores per die: die 1's first APIC id (3) would decode as die 0 core 3. */
  { "/hull/topology/apic-id/dies-need-power-of-two", 1, 2, 3, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "2 dies of 3 cores × 1 threads" },
  /* The offset selects socket offset / R: 8 / 4 = socket 2. */
  { "/hull/topology/apic-id/offset", 1, 1, 3, 1, HULL_X2APIC_REQUEST_SUPPORTED, 8, NO_ERROR, NULL,
    3, 3, 1, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 10, IDS (8, 9, 10) },
  { "/hull/topology/apic-id/offset-rounds-down", 2, 1, 3, 1, HULL_X2APIC_REQUEST_SUPPORTED, 11,
    NO_ERROR, NULL, 6, 3, 2, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 14,
    IDS (8, 9, 10, 12, 13, 14) },
  /* The highest usable id is 0xfffffffe: 0xffffffff is the x2APIC broadcast. */
  { "/hull/topology/apic-id/top-of-32-bits", 1, 1, 15, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0xfffffff0,
    NO_ERROR, NULL, 15, 15, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED, 0xfffffffe,
    IDS (0xfffffff0, 0xfffffff1, 0xfffffff2, 0xfffffff3, 0xfffffff4, 0xfffffff5, 0xfffffff6,
         0xfffffff7, 0xfffffff8, 0xfffffff9, 0xfffffffa, 0xfffffffb, 0xfffffffc, 0xfffffffd,
         0xfffffffe) },
  { "/hull/topology/apic-id/broadcast-id-refused", 1, 1, 16, 1, HULL_X2APIC_REQUEST_SUPPORTED,
    0xfffffff0, HULL_ERROR_LIMIT_EXCEEDED, "x2APIC broadcast id" },
  { "/hull/topology/apic-id/beyond-32-bits", 2, 1, 16, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0xfffffff0,
    HULL_ERROR_LIMIT_EXCEEDED, "above 0xfffffffe" },
  { "/hull/topology/smt/one-thread-is-off", 2, 1, 4, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR,
    NULL, 8, 4, 2, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 7 },
  { "/hull/topology/smt/two-threads-is-on", 1, 1, 1, 2, HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR,
    NULL, 2, 2, 1, TRUE, HULL_APIC_MODE_X2APIC_SUPPORTED, 1, IDS (0, 1) },
  { "/hull/topology/vps-per-socket/max", 1, 1, HULL_TOPOLOGY_MAX_VPS_PER_SOCKET, 1,
    HULL_X2APIC_REQUEST_SUPPORTED, 0, NO_ERROR, NULL, 32768, 32768, 1, FALSE,
    HULL_APIC_MODE_X2APIC_ENABLED, 32767 },
  { "/hull/topology/vps-per-socket/above-max", 1, 1, HULL_TOPOLOGY_MAX_VPS_PER_SOCKET + 1, 1,
    HULL_X2APIC_REQUEST_SUPPORTED, 0, HULL_ERROR_LIMIT_EXCEEDED,
    "32769 VPs per socket exceeds the limit of 32768" },
  { "/hull/topology/vps-per-socket/above-max-via-dies", 1, 4, 8193, 1,
    HULL_X2APIC_REQUEST_SUPPORTED, 0, HULL_ERROR_LIMIT_EXCEEDED, "32772 VPs per socket" },
  { "/hull/topology/vps-per-socket/product-overflows", 1, 65536, 65536, 2,
    HULL_X2APIC_REQUEST_SUPPORTED, 0, HULL_ERROR_LIMIT_EXCEEDED,
    "65536 dies × 65536 cores × 2 threads overflows" },
  { "/hull/topology/vp-count/overflows", G_MAXUINT, 1, 2, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_LIMIT_EXCEEDED, "4294967295 sockets × 2 VPs per socket overflows" },
  { "/hull/topology/vp-count/above-max", 3, 1, 32768, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_LIMIT_EXCEEDED, "is 98304 VPs, more than the limit of 65536" },
  { "/hull/topology/zero/sockets", 0, 1, 1, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "0 sockets, 1 dies, 1 cores, 1 threads: every count" },
  { "/hull/topology/zero/dies", 1, 0, 1, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "1 sockets, 0 dies, 1 cores, 1 threads: every count" },
  { "/hull/topology/zero/cores", 1, 1, 0, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "1 sockets, 1 dies, 0 cores, 1 threads: every count" },
  { "/hull/topology/zero/threads", 1, 1, 1, 0, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "1 sockets, 1 dies, 1 cores, 0 threads: every count" },
  { "/hull/topology/threads/three-per-core", 1, 1, 2, 3, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    HULL_ERROR_INVALID_ARGUMENT, "3 threads per core, x86 supports at most 2" },

  /* The x2APIC table: 255 VPs in one socket have ids 0..254 (max < 255),
   * 256 VPs have ids 0..255 (max ≥ 255). */
  { "/hull/topology/x2apic/supported/max-254", 1, 1, 255, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    NO_ERROR, NULL, 255, 255, 1, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 254 },
  { "/hull/topology/x2apic/supported/max-255", 1, 1, 256, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0,
    NO_ERROR, NULL, 256, 256, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED, 255 },
  { "/hull/topology/x2apic/unsupported/max-254", 1, 1, 255, 1, HULL_X2APIC_REQUEST_UNSUPPORTED, 0,
    NO_ERROR, NULL, 255, 255, 1, FALSE, HULL_APIC_MODE_XAPIC, 254 },
  { "/hull/topology/x2apic/unsupported/max-255", 1, 1, 256, 1, HULL_X2APIC_REQUEST_UNSUPPORTED, 0,
    HULL_ERROR_LIMIT_EXCEEDED, "APIC id 255 needs x2APIC" },
  { "/hull/topology/x2apic/unsupported/offset-above-254", 1, 1, 2, 1,
    HULL_X2APIC_REQUEST_UNSUPPORTED, 256, HULL_ERROR_LIMIT_EXCEEDED, "APIC id 257 needs x2APIC" },
  { "/hull/topology/x2apic/unsupported/pow2-gap", 2, 1, 3, 2, HULL_X2APIC_REQUEST_UNSUPPORTED, 0,
    NO_ERROR, NULL, 12, 6, 2, TRUE, HULL_APIC_MODE_XAPIC, 13 },
  /* 65 VPs per socket round up to R = 128: 4 sockets are only 260 VPs, but
   * the last APIC id is 3 × 128 + 64 = 448. */
  { "/hull/topology/x2apic/unsupported/stride-pushes-ids-up", 4, 1, 65, 1,
    HULL_X2APIC_REQUEST_UNSUPPORTED, 0, HULL_ERROR_LIMIT_EXCEEDED, "APIC id 448" },
  { "/hull/topology/x2apic/enabled/max-254", 1, 1, 255, 1, HULL_X2APIC_REQUEST_ENABLED, 0, NO_ERROR,
    NULL, 255, 255, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED, 254 },
  { "/hull/topology/x2apic/enabled/max-255", 1, 1, 256, 1, HULL_X2APIC_REQUEST_ENABLED, 0, NO_ERROR,
    NULL, 256, 256, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED, 255 },
};

static void
test_new (gconstpointer data)
{
  const NewCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullProcessorTopology) t = NULL;

  t = hull_processor_topology_new (c->sockets, c->dies, c->cores, c->threads, c->x2apic,
                                   c->apic_id_offset, &error);
  if (c->error_code != NO_ERROR)
    {
      g_assert_error (error, HULL_ERROR, c->error_code);
      g_assert_null (t);
      if (strstr (error->message, c->error_substring) == NULL)
        g_error ("message \"%s\" lacks \"%s\"", error->message, c->error_substring);
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpuint (hull_processor_topology_get_vp_count (t), ==, c->vp_count);
  g_assert_cmpuint (hull_processor_topology_get_vps_per_socket (t), ==, c->vps_per_socket);
  g_assert_cmpuint (hull_processor_topology_get_sockets (t), ==, c->n_sockets);
  g_assert_cmpint (hull_processor_topology_get_smt_enabled (t), ==, c->smt);
  g_assert_cmpstr (hull_apic_mode_to_string (hull_processor_topology_get_apic_mode (t)), ==,
                   hull_apic_mode_to_string (c->mode));
  g_assert_cmpuint (hull_processor_topology_get_max_apic_id (t), ==, c->max_apic_id);

  for (guint n = 0; n < c->vp_count; n++)
    {
      const HullVpInfo *vp = hull_processor_topology_get_vp (t, n);

      g_assert_cmpuint (vp->vp_index, ==, n);
      g_assert_cmpuint (vp->vnode, ==, n / c->vps_per_socket);
    }
  if (c->apic_ids != NULL)
    {
      g_assert_cmpuint (c->n_apic_ids, ==, c->vp_count);
      for (guint n = 0; n < c->n_apic_ids; n++)
        g_assert_cmpuint (hull_processor_topology_get_vp (t, n)->apic_id, ==, c->apic_ids[n]);
    }
}

/* Every field of the 2 sockets × 3 cores × 2 threads example. */
static void
test_vp_fields (void)
{
  static const HullVpInfo expected[] = {
    /* index, apic, socket, die, core, thread, vnode */
    { 0, 0, 0, 0, 0, 0, 0 },  { 1, 1, 0, 0, 0, 1, 0 },   { 2, 2, 0, 0, 1, 0, 0 },
    { 3, 3, 0, 0, 1, 1, 0 },  { 4, 4, 0, 0, 2, 0, 0 },   { 5, 5, 0, 0, 2, 1, 0 },
    { 6, 8, 1, 0, 0, 0, 1 },  { 7, 9, 1, 0, 0, 1, 1 },   { 8, 10, 1, 0, 1, 0, 1 },
    { 9, 11, 1, 0, 1, 1, 1 }, { 10, 12, 1, 0, 2, 0, 1 }, { 11, 13, 1, 0, 2, 1, 1 },
  };
  static const HullVpInfo expected_dies[] = {
    /* 1 socket × 2 dies × 2 cores × 2 threads */
    { 0, 0, 0, 0, 0, 0, 0 }, { 1, 1, 0, 0, 0, 1, 0 }, { 2, 2, 0, 0, 1, 0, 0 },
    { 3, 3, 0, 0, 1, 1, 0 }, { 4, 4, 0, 1, 0, 0, 0 }, { 5, 5, 0, 1, 0, 1, 0 },
    { 6, 6, 0, 1, 1, 0, 0 }, { 7, 7, 0, 1, 1, 1, 0 },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullProcessorTopology) t = NULL;
  g_autoptr (HullProcessorTopology) d = NULL;

  t = hull_processor_topology_new (2, 1, 3, 2, HULL_X2APIC_REQUEST_SUPPORTED, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hull_processor_topology_get_vp_count (t), ==, G_N_ELEMENTS (expected));
  for (guint n = 0; n < G_N_ELEMENTS (expected); n++)
    g_assert_cmpmem (hull_processor_topology_get_vp (t, n), sizeof (HullVpInfo), &expected[n],
                     sizeof (HullVpInfo));

  d = hull_processor_topology_new (1, 2, 2, 2, HULL_X2APIC_REQUEST_SUPPORTED, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hull_processor_topology_get_vp_count (d), ==, G_N_ELEMENTS (expected_dies));
  for (guint n = 0; n < G_N_ELEMENTS (expected_dies); n++)
    g_assert_cmpmem (hull_processor_topology_get_vp (d, n), sizeof (HullVpInfo), &expected_dies[n],
                     sizeof (HullVpInfo));
}

#define VPS(...)                                                                                   \
  .vps = (const HullVpInfo[]){ __VA_ARGS__ },                                                      \
  .n_vps = G_N_ELEMENTS (((const HullVpInfo[]){ __VA_ARGS__ }))

typedef struct
{
  const char *path;
  const HullVpInfo *vps;
  guint n_vps;
  guint vps_per_socket;
  gboolean smt_requested;
  HullX2ApicRequest x2apic;
  int error_code;
  const char *error_substring;
  guint n_sockets;
  gboolean smt;
  HullApicMode mode;
  guint32 max_apic_id;
} FromVpsCase;

static const FromVpsCase from_vps_cases[] = {
  { "/hull/topology/from-vps/no-vps", NULL, 0, 1, FALSE, HULL_X2APIC_REQUEST_SUPPORTED,
    HULL_ERROR_INVALID_ARGUMENT, "no VPs" },
  { "/hull/topology/from-vps/non-dense", VPS ({ .vp_index = 0 }, { .vp_index = 2 }), 1, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, HULL_ERROR_INVALID_ARGUMENT, "VP 2 at position 1" },
  { "/hull/topology/from-vps/out-of-order",
    VPS ({ .vp_index = 1, .apic_id = 1 }, { .vp_index = 0 }), 2, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, HULL_ERROR_INVALID_ARGUMENT, "VP 1 at position 0" },
  { "/hull/topology/from-vps/duplicate-index", VPS ({ .vp_index = 0 }, { .vp_index = 0 }), 2, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, HULL_ERROR_INVALID_ARGUMENT, "VP 0 at position 1" },
  { "/hull/topology/from-vps/vps-per-socket-zero", VPS ({ .vp_index = 0 }), 0, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, HULL_ERROR_INVALID_ARGUMENT, "0 VPs per socket" },
  { "/hull/topology/from-vps/vps-per-socket-above-max", VPS ({ .vp_index = 0 }), 32769, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, HULL_ERROR_LIMIT_EXCEEDED,
    "32769 VPs per socket exceeds the limit of 32768" },
  { "/hull/topology/from-vps/smt-needs-two-per-socket",
    VPS ({ .vp_index = 0 }, { .vp_index = 1, .apic_id = 1, .socket = 1, .vnode = 1 }), 1, TRUE,
    HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 2, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 1 },
  { "/hull/topology/from-vps/smt-on", VPS ({ .vp_index = 0 }, { .vp_index = 1, .apic_id = 1 }), 2,
    TRUE, HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 1, TRUE, HULL_APIC_MODE_X2APIC_SUPPORTED,
    1 },
  { "/hull/topology/from-vps/smt-not-requested",
    VPS ({ .vp_index = 0 }, { .vp_index = 1, .apic_id = 1 }), 2, FALSE,
    HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 1, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED, 1 },
  { "/hull/topology/from-vps/x2apic/unsupported-low", VPS ({ .vp_index = 0, .apic_id = 254 }), 1,
    FALSE, HULL_X2APIC_REQUEST_UNSUPPORTED, NO_ERROR, NULL, 1, FALSE, HULL_APIC_MODE_XAPIC, 254 },
  { "/hull/topology/from-vps/x2apic/unsupported-high",
    VPS ({ .vp_index = 0 }, { .vp_index = 1, .apic_id = 300, .socket = 1 }), 1, FALSE,
    HULL_X2APIC_REQUEST_UNSUPPORTED, HULL_ERROR_LIMIT_EXCEEDED, "APIC id 300 needs x2APIC" },
  { "/hull/topology/from-vps/x2apic/supported-low", VPS ({ .vp_index = 0, .apic_id = 254 }), 1,
    FALSE, HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 1, FALSE, HULL_APIC_MODE_X2APIC_SUPPORTED,
    254 },
  { "/hull/topology/from-vps/x2apic/supported-high", VPS ({ .vp_index = 0, .apic_id = 255 }), 1,
    FALSE, HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED,
    255 },
  { "/hull/topology/from-vps/x2apic/enabled-low", VPS ({ .vp_index = 0 }), 1, FALSE,
    HULL_X2APIC_REQUEST_ENABLED, NO_ERROR, NULL, 1, FALSE, HULL_APIC_MODE_X2APIC_ENABLED, 0 },
  { "/hull/topology/from-vps/sockets-counted",
    VPS ({ .vp_index = 0, .socket = 3 }, { .vp_index = 1, .apic_id = 4, .socket = 4 },
         { .vp_index = 2, .apic_id = 5, .socket = 4 }),
    2, FALSE, HULL_X2APIC_REQUEST_SUPPORTED, NO_ERROR, NULL, 2, FALSE,
    HULL_APIC_MODE_X2APIC_SUPPORTED, 5 },
};

static void
test_from_vps (gconstpointer data)
{
  const FromVpsCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullProcessorTopology) t = NULL;

  t = hull_processor_topology_new_from_vps (c->vps, c->n_vps, c->vps_per_socket, c->smt_requested,
                                            c->x2apic, &error);
  if (c->error_code != NO_ERROR)
    {
      g_assert_error (error, HULL_ERROR, c->error_code);
      g_assert_null (t);
      if (strstr (error->message, c->error_substring) == NULL)
        g_error ("message \"%s\" lacks \"%s\"", error->message, c->error_substring);
      return;
    }

  g_assert_no_error (error);
  g_assert_cmpuint (hull_processor_topology_get_vp_count (t), ==, c->n_vps);
  g_assert_cmpuint (hull_processor_topology_get_vps_per_socket (t), ==, c->vps_per_socket);
  g_assert_cmpuint (hull_processor_topology_get_sockets (t), ==, c->n_sockets);
  g_assert_cmpint (hull_processor_topology_get_smt_enabled (t), ==, c->smt);
  g_assert_cmpstr (hull_apic_mode_to_string (hull_processor_topology_get_apic_mode (t)), ==,
                   hull_apic_mode_to_string (c->mode));
  g_assert_cmpuint (hull_processor_topology_get_max_apic_id (t), ==, c->max_apic_id);
  /* The topology holds a copy of the VPs. */
  g_assert_true (hull_processor_topology_get_vp (t, 0) != &c->vps[0]);
  for (guint n = 0; n < c->n_vps; n++)
    g_assert_cmpmem (hull_processor_topology_get_vp (t, n), sizeof (HullVpInfo), &c->vps[n],
                     sizeof (HullVpInfo));
}

static void
test_strings (void)
{
  static const struct
  {
    const char *s;
    HullX2ApicRequest r;
  } requests[] = {
    { "supported", HULL_X2APIC_REQUEST_SUPPORTED },
    { "unsupported", HULL_X2APIC_REQUEST_UNSUPPORTED },
    { "enabled", HULL_X2APIC_REQUEST_ENABLED },
  };
  static const char *const bad[] = { "", "Enabled", "on", "x2apic", "supported " };
  HullX2ApicRequest r;

  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_assert_cmpstr (hull_x2apic_request_to_string (requests[i].r), ==, requests[i].s);
      r = (HullX2ApicRequest)42;
      g_assert_true (hull_x2apic_request_from_string (requests[i].s, &r));
      g_assert_cmpint (r, ==, requests[i].r);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      r = (HullX2ApicRequest)42;
      g_assert_false (hull_x2apic_request_from_string (bad[i], &r));
      g_assert_cmpint (r, ==, 42);
    }
  g_assert_null (hull_x2apic_request_to_string ((HullX2ApicRequest)3));

  g_assert_cmpstr (hull_apic_mode_to_string (HULL_APIC_MODE_XAPIC), ==, "xapic");
  g_assert_cmpstr (hull_apic_mode_to_string (HULL_APIC_MODE_X2APIC_SUPPORTED), ==,
                   "x2apic-supported");
  g_assert_cmpstr (hull_apic_mode_to_string (HULL_APIC_MODE_X2APIC_ENABLED), ==, "x2apic-enabled");
  g_assert_null (hull_apic_mode_to_string ((HullApicMode)3));
}

static void
test_to_variant (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullProcessorTopology) t = NULL;
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) vps = NULL;
  g_autoptr (GVariant) vp = NULL;
  guint32 u;
  gboolean b;
  const char *s;

  t = hull_processor_topology_new (2, 1, 3, 2, HULL_X2APIC_REQUEST_UNSUPPORTED, 0, &error);
  g_assert_no_error (error);
  v = hull_processor_topology_to_variant (t);
  g_assert_true (g_variant_is_floating (v));
  g_variant_ref_sink (v);
  g_assert_cmpstr (g_variant_get_type_string (v), ==, "a{sv}");

  g_assert_true (g_variant_lookup (v, "vp-count", "u", &u));
  g_assert_cmpuint (u, ==, 12);
  g_assert_true (g_variant_lookup (v, "sockets", "u", &u));
  g_assert_cmpuint (u, ==, 2);
  g_assert_true (g_variant_lookup (v, "vps-per-socket", "u", &u));
  g_assert_cmpuint (u, ==, 6);
  g_assert_true (g_variant_lookup (v, "smt", "b", &b));
  g_assert_true (b);
  g_assert_true (g_variant_lookup (v, "apic-mode", "&s", &s));
  g_assert_cmpstr (s, ==, "xapic");

  vps = g_variant_lookup_value (v, "vps", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (vps);
  g_assert_cmpuint (g_variant_n_children (vps), ==, 12);
  vp = g_variant_get_child_value (vps, 7);
  g_assert_true (g_variant_lookup (vp, "index", "u", &u));
  g_assert_cmpuint (u, ==, 7);
  g_assert_true (g_variant_lookup (vp, "apic-id", "u", &u));
  g_assert_cmpuint (u, ==, 9);
  g_assert_true (g_variant_lookup (vp, "socket", "u", &u));
  g_assert_cmpuint (u, ==, 1);
  g_assert_true (g_variant_lookup (vp, "die", "u", &u));
  g_assert_cmpuint (u, ==, 0);
  g_assert_true (g_variant_lookup (vp, "core", "u", &u));
  g_assert_cmpuint (u, ==, 0);
  g_assert_true (g_variant_lookup (vp, "thread", "u", &u));
  g_assert_cmpuint (u, ==, 1);
  g_assert_true (g_variant_lookup (vp, "vnode", "u", &u));
  g_assert_cmpuint (u, ==, 1);
}

static void
test_get_vp_out_of_range (void)
{
  g_autoptr (HullProcessorTopology) t = NULL;

  t = hull_processor_topology_new (1, 1, 2, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0, NULL);
  g_assert_nonnull (t);
  g_test_expect_message ("Hull", G_LOG_LEVEL_CRITICAL, "*vp_index < t->n_vps*");
  g_assert_null (hull_processor_topology_get_vp (t, 2));
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (new_cases); i++)
    g_test_add_data_func (new_cases[i].path, &new_cases[i], test_new);
  for (gsize i = 0; i < G_N_ELEMENTS (from_vps_cases); i++)
    g_test_add_data_func (from_vps_cases[i].path, &from_vps_cases[i], test_from_vps);
  g_test_add_func ("/hull/topology/vp-fields", test_vp_fields);
  g_test_add_func ("/hull/topology/strings", test_strings);
  g_test_add_func ("/hull/topology/to-variant", test_to_variant);
  g_test_add_func ("/hull/topology/get-vp/out-of-range", test_get_vp_out_of_range);

  return g_test_run ();
}
