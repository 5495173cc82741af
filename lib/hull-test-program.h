/* hull-test-program.h — the guest program of the `test` backend.
 *
 * A domain of type 'test' may give each VP a list of steps (port and MMIO
 * accesses, spins, jumps, halts) and inject faults into the backend. The test
 * backend interprets it; the domain model only parses, checks and formats it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HULL_TEST_STEP_OUT,
  HULL_TEST_STEP_IN,
  HULL_TEST_STEP_MMIO_WRITE,
  HULL_TEST_STEP_MMIO_READ,
  HULL_TEST_STEP_SPIN,
  HULL_TEST_STEP_JUMP,
  HULL_TEST_STEP_HALT,
} HullTestStepKind;

typedef enum
{
  HULL_TEST_HALT_POWEROFF,
  HULL_TEST_HALT_RESET,
  HULL_TEST_HALT_HIBERNATE,
  HULL_TEST_HALT_TRIPLE_FAULT,
} HullTestHaltReason;

typedef enum
{
  HULL_TEST_FAULT_BUILD,
  HULL_TEST_FAULT_BIND,
  HULL_TEST_FAULT_RUN,
} HullTestFaultStage;

/**
 * HullTestStep:
 * @kind: what the step does
 * @size: access size in bytes (OUT/IN: 1, 2, 4; MMIO: 1, 2, 4, 8)
 * @has_expect: IN/MMIO_READ: whether @value is the expected value
 * @address: the port (OUT/IN) or guest physical address (MMIO)
 * @value: OUT/MMIO_WRITE: the value written; IN/MMIO_READ: the expected
 *   value; SPIN: microseconds; JUMP: the target step; HALT: a #HullTestHaltReason
 * @line: source line, 0 when unknown
 */
typedef struct
{
  HullTestStepKind kind;
  guint8 size;
  gboolean has_expect;
  guint64 address;
  guint64 value;
  guint line;
} HullTestStep;

/**
 * HullTestVpProgram:
 * @vp_index: the VP that runs it
 * @steps: (element-type HullTestStep): the steps, in order
 * @line: source line
 */
typedef struct
{
  guint vp_index;
  GArray *steps;
  guint line;
} HullTestVpProgram;

/**
 * HullTestFault:
 * @stage: where the backend fails
 * @has_vp: whether the fault is limited to one VP (bind and run only)
 * @vp_index: that VP
 * @line: source line
 */
typedef struct
{
  HullTestFaultStage stage;
  gboolean has_vp;
  guint vp_index;
  guint line;
} HullTestFault;

/**
 * HullTestProgram:
 * @vps: (element-type HullTestVpProgram): per-VP programs, in document order
 * @faults: (element-type HullTestFault): injected faults
 */
typedef struct
{
  GPtrArray *vps;
  GArray *faults;
} HullTestProgram;

HullTestProgram *hull_test_program_new (void);
void hull_test_program_free (HullTestProgram *program);
HullTestVpProgram *hull_test_program_add_vp (HullTestProgram *program, guint vp_index, guint line);
const HullTestVpProgram *hull_test_program_find_vp (const HullTestProgram *program, guint vp_index);

/**
 * hull_test_program_validate:
 * @program: a program
 * @n_vps: the domain's VP count
 * @error: %HULL_ERROR_XML_INVALID naming the step or VP at fault
 *
 * Checks VP indices (below @n_vps, each once), jump targets and fault VPs.
 *
 * Returns: %TRUE when the program can run.
 */
gboolean hull_test_program_validate (const HullTestProgram *program, guint n_vps, GError **error);

const char *hull_test_step_kind_to_string (HullTestStepKind kind);
gboolean hull_test_step_kind_from_string (const char *name, HullTestStepKind *kind);
const char *hull_test_halt_reason_to_string (HullTestHaltReason reason);
gboolean hull_test_halt_reason_from_string (const char *name, HullTestHaltReason *reason);
const char *hull_test_fault_stage_to_string (HullTestFaultStage stage);
gboolean hull_test_fault_stage_from_string (const char *name, HullTestFaultStage *stage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullTestProgram, hull_test_program_free)

G_END_DECLS
