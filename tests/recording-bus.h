/* recording-bus.h — a CpuIo for tests that records every access, answers
 * reads from values the test set, and can stop or kick the accessing VP from
 * inside its callback, as a device would. Shared by the backend harnesses. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-sync.h"

G_BEGIN_DECLS

typedef enum
{
  ACCESS_OUT,
  ACCESS_IN,
  ACCESS_MMIO_WRITE,
  ACCESS_MMIO_READ,
} AccessKind;

typedef struct
{
  AccessKind kind;
  guint vp;
  guint64 address;
  gsize size;
  guint64 value;
} Access;

typedef struct _Bus Bus;

/* Called on the VP's thread after each access is recorded, outside the
 * bus's lock: what a device does from inside its callback. */
typedef void (*BusHook) (Bus *bus, const Access *access, gpointer data);

/* Acts on VP @vp on behalf of a device; @data is the bus's vp_data. */
typedef void (*BusVpFunc) (gpointer data, guint vp);

/* Reads return the value set for the port or address (all ones when none),
 * truncated to the access size; writes replace a set value and are dropped
 * elsewhere. Fields after the lock are set while no VP runs. */
struct _Bus
{
  HullMutex lock;
  GArray *accesses;   /* Access */
  GHashTable *values; /* (mmio << 63 | address) → value */
  guint n_writes;     /* OUT and MMIO writes since bus_clear() */
  guint fatal_errors;

  gint stop_port;           /* an OUT here stops the writer; -1: none */
  guint stop_after_writes;  /* stop the writer at this write; 0: never */
  guint yield_after_writes; /* ask the writer to yield at this write; 0: never */
  BusHook hook;
  gpointer hook_data;

  /* Set by whoever owns the VPs, for the stop and yield devices above. */
  BusVpFunc stop_vp;
  BusVpFunc yield_vp;
  gpointer vp_data;
};

/* The bus's CpuIo; its data is a Bus. */
extern const HullCpuIo bus_io;

guint64 load_le (const guint8 *buffer, gsize size);
void store_le (guint8 *buffer, guint64 value, gsize size);

void bus_init (Bus *bus);
void bus_destroy (Bus *bus);
void bus_set_value (Bus *bus, gboolean mmio, guint64 address, guint64 value);
void bus_clear (Bus *bus);
guint bus_count (Bus *bus);
guint bus_count_kind (Bus *bus, AccessKind kind);
Access bus_get (Bus *bus, guint i);
void assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
                    guint64 value);

G_END_DECLS
