/* hull-domain-private.h — what the two files of HullDomain share: the
 * instance struct, the state helpers, the authorization wrapper and the
 * method handlers' checks.
 *
 * Private: not installed, and included only by hull-domain.c (the
 * lifecycle: Start, stop, the halt policy, the object) and
 * hull-domain-queries.c (the read-only methods). Everything else uses
 * hull-domain.h. Main-loop only, like the object.
 */
#pragma once

#include <gio/gio.h>

#include "hull-authority.h"
#include "hull-domain.h"
#include "hull-error.h"
#include "hull-worker-client.h"

G_BEGIN_DECLS

typedef enum
{
  OP_NONE,
  OP_REATTACH,
  OP_STARTING,
  OP_CALL,          /* Pause, Resume, Reset, ClearHalt on the worker */
  OP_SHUTDOWN_WAIT, /* Shutdown's grace period: Destroy may cut it short */
  OP_STOPPING,
} Op;

struct _HullDomain
{
  HullDBusDomainSkeleton parent_instance;

  HullDomainStore *store;
  HullAuthority *authority;
  char *worker_path;
  char *runtime_dir;
  char *log_dir;
  char *backend_dir;
  gboolean system;
  HullBackendLoader *loader; /* nullable */
  HullDomainCallbacks callbacks;

  char *path;
  HullDomainDef *def;      /* what the next Start runs; stored when persistent */
  HullDomainDef *live_def; /* what the worker runs; NULL without a worker */
  HullDomainRecord record;

  HullWorkerClient *worker;
  gulong halted_id;
  gulong closed_id;

  Op op;
  gboolean start_paused;
  /* OP_STOPPING: where the domain ends, and the calls to answer then. */
  HullDomainStateReason stop_reason;
  int stop_detail;
  GPtrArray *stop_invocations;
  guint shutdown_timer;
  /* A halt reported while an operation ran; handled when it ends. */
  char *pending_halt;
};

/* The definition the domain runs now: the live one while there is a
 * worker, else the one the next Start runs. */
const HullDomainDef *hull_domain_current_def (HullDomain *self);
const char *hull_domain_name_of (HullDomain *self);

/* ---- method handlers (hull-domain.c) --------------------------------- */

/* Whether the caller may do @action to this domain (hull-authority.h):
 * %FALSE while that is decided, and the handler returns; once allowed, it
 * runs again from the top and gets past this. */
gboolean hull_domain_authorize (HullDomain *self, GDBusMethodInvocation *invocation,
                                GVariant *options, HullAction action);

/* In a handler (self, invocation and options in scope): authorize, or
 * check the options, and return TRUE (handled) when that answered the call. */
#define AUTHORIZE(action)                                                                          \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (!hull_domain_authorize (self, invocation, options, action))                                \
      return TRUE;                                                                                 \
  }                                                                                                \
  G_STMT_END

#define CHECK_OPTIONS(allowed, method)                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (!hull_authority_check_invocation_options (invocation, options, allowed,                    \
                                                  G_N_ELEMENTS (allowed), method))                 \
      return TRUE;                                                                                 \
  }                                                                                                \
  G_STMT_END

#define CHECK_NO_OPTIONS(method)                                                                   \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (!hull_authority_check_invocation_options (invocation, options, NULL, 0, method))           \
      return TRUE;                                                                                 \
  }                                                                                                \
  G_STMT_END

/* Answers @invocation with InvalidState (@format names the domain) and
 * returns from the handler. */
#define RETURN_INVALID_STATE(format)                                                               \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_INVALID_STATE,       \
                                           format, hull_domain_name_of (self));                    \
    return TRUE;                                                                                   \
  }                                                                                                \
  G_STMT_END

/* Sets the read-only methods' handlers: GetXMLDesc, OpenConsole, Inspect
 * and GetStats (hull-domain-queries.c). */
void hull_domain_queries_iface_init (HullDBusDomainIface *iface);

G_END_DECLS
