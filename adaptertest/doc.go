// Package adaptertest is the conformance suite of the adapter contract:
// Lucia v1's own adapter test cases (U1–U30, S1–S9, O1–O2), ported to Go
// and corrected where the reference suite checked the wrong thing, plus the
// cases it never checked (atomic SetUser, duplicate user ids, large
// expiries, attribute defaults and NULLs, many concurrent calls), and
// luciapg's additions to the contract, among them F1–F26 for
// luciapg.FactorAdapter, which an adapter that stores no second factors
// leaves out with Harness.WithoutFactors, D1–D8 for luciapg.DeviceAdapter
// and the session origin, A1–A7 for luciapg.AuditAdapter and the audit
// event a write carries, and M1–M5 for luciapg.EmailChangeAdapter. These
// last three every adapter must implement; the cases fail on one that
// does not, saying so.
//
// Any luciapg.Adapter can run it:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, adaptertest.Harness{
//			New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
//				db := freshDatabase(t) // auth tables plus AttributeColumns
//				return luciapg.New(db), adaptertest.SQLStorage(db)
//			},
//		})
//	}
//
// The suite reads and seeds rows through Storage, never through the
// adapter under test, so an adapter cannot pass by agreeing with itself.
package adaptertest
