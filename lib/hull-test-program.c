/* hull-test-program.c — the guest program of the `test` backend. */
#include "config.h"

#include "hull-test-program.h"

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"

HULL_ENUM_IMPL (hull_test_step_kind, HullTestStepKind, "out", "in", "mmio-write", "mmio-read",
                "spin", "jump", "halt")
HULL_ENUM_IMPL (hull_test_halt_reason, HullTestHaltReason, "poweroff", "reset", "hibernate",
                "triple-fault")
HULL_ENUM_IMPL (hull_test_fault_stage, HullTestFaultStage, "build", "bind", "run")

static void
vp_program_free (gpointer data)
{
  HullTestVpProgram *vp = data;

  g_array_unref (vp->steps);
  g_free (vp);
}

HullTestProgram *
hull_test_program_new (void)
{
  HullTestProgram *program = g_new0 (HullTestProgram, 1);

  program->vps = g_ptr_array_new_with_free_func (vp_program_free);
  program->faults = g_array_new (FALSE, TRUE, sizeof (HullTestFault));
  return program;
}

void
hull_test_program_free (HullTestProgram *program)
{
  if (program == NULL)
    return;
  g_ptr_array_unref (program->vps);
  g_array_unref (program->faults);
  g_free (program);
}

HullTestVpProgram *
hull_test_program_add_vp (HullTestProgram *program, guint vp_index, guint line)
{
  HullTestVpProgram *vp;

  g_return_val_if_fail (program != NULL, NULL);

  vp = g_new0 (HullTestVpProgram, 1);
  vp->vp_index = vp_index;
  vp->line = line;
  vp->steps = g_array_new (FALSE, TRUE, sizeof (HullTestStep));
  g_ptr_array_add (program->vps, vp);
  return vp;
}

const HullTestVpProgram *
hull_test_program_find_vp (const HullTestProgram *program, guint vp_index)
{
  g_return_val_if_fail (program != NULL, NULL);

  for (guint i = 0; i < program->vps->len; i++)
    {
      const HullTestVpProgram *vp = g_ptr_array_index (program->vps, i);

      if (vp->vp_index == vp_index)
        return vp;
    }
  return NULL;
}

static gboolean
validate_vp (const HullTestVpProgram *vp, guint n_vps, GError **error)
{
  if (vp->vp_index >= n_vps)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                   _ ("line %u: <hull:vp index='%u'> names a VP the domain does not have (it has "
                      "%u)"),
                   vp->line, vp->vp_index, n_vps);
      return FALSE;
    }
  for (guint s = 0; s < vp->steps->len; s++)
    {
      const HullTestStep *step = &g_array_index (vp->steps, HullTestStep, s);

      if (step->kind == HULL_TEST_STEP_JUMP && step->value >= vp->steps->len)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                       _ ("line %u: <hull:jump step='%llu'> jumps past the end of VP %u's program, "
                          "whose last step is %u"),
                       step->line, (unsigned long long)step->value, vp->vp_index,
                       vp->steps->len - 1);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
hull_test_program_validate (const HullTestProgram *program, guint n_vps, GError **error)
{
  g_return_val_if_fail (program != NULL, FALSE);

  for (guint i = 0; i < program->vps->len; i++)
    {
      const HullTestVpProgram *vp = g_ptr_array_index (program->vps, i);

      if (!validate_vp (vp, n_vps, error))
        return FALSE;
      for (guint j = 0; j < i; j++)
        {
          const HullTestVpProgram *other = g_ptr_array_index (program->vps, j);

          if (other->vp_index == vp->vp_index)
            {
              g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                           _ ("line %u: VP %u already has a program (line %u)"), vp->line,
                           vp->vp_index, other->line);
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < program->faults->len; i++)
    {
      const HullTestFault *fault = &g_array_index (program->faults, HullTestFault, i);

      if (fault->has_vp && fault->vp_index >= n_vps)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                       _ ("line %u: <hull:fault> names VP %u but the domain has %u"), fault->line,
                       fault->vp_index, n_vps);
          return FALSE;
        }
      if (fault->has_vp && fault->stage == HULL_TEST_FAULT_BUILD)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                       _ ("line %u: a build fault applies to the whole partition and takes no "
                          "'vp'"),
                       fault->line);
          return FALSE;
        }
    }
  return TRUE;
}
