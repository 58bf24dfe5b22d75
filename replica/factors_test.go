package replica_test

import (
	"context"
	"errors"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
)

// Every FactorAdapter call goes to the primary, even while the standby
// serves reads. The "standby" here is another database of the same server:
// the router takes it for the primary itself and reads from it, so a read
// answered from it is told apart by what each database holds.
func TestRouterFactorsOnThePrimary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primaryPool := testdb.Pool(t, testdb.NewURL(t), 2)
	standbyPool := testdb.Pool(t, testdb.NewURL(t), 2)
	router := newRouter(t, primaryPool, standbyPool, replica.Config{})
	pgcluster.Eventually(t, "the standby to be usable", func() (bool, error) { return router.Stats().Usable, nil })
	primary, standby := luciapg.New(primaryPool), luciapg.New(standbyPool)
	for _, s := range []*luciapg.Store{primary, standby} {
		if _, err := s.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := standby.SetRecoveryCodes(ctx, "u1", []string{"on the standby only"}); err != nil {
		t.Fatal(err)
	}
	if err := primary.SetRecoveryCodes(ctx, "u1", []string{"h1", "h2"}); err != nil {
		t.Fatal(err)
	}

	// The router does read from the other database: the test would prove
	// nothing otherwise.
	before := router.Stats().StandbyReads
	if _, err := router.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if router.Stats().StandbyReads == before {
		t.Fatal("GetUser was not answered by the standby: the test proves nothing")
	}
	before = router.Stats().StandbyReads
	if got, err := router.GetUserFactors(ctx, "u1"); err != nil || got.RecoveryCodes != 2 {
		t.Fatalf("GetUserFactors = %+v, %v; want the primary's 2 codes", got, err)
	}
	if err := router.UseRecoveryCode(ctx, "u1", "on the standby only"); !errors.Is(err, luciapg.ErrFactorNotFound) {
		t.Fatalf("UseRecoveryCode of the standby's code: %v, want ErrFactorNotFound", err)
	}
	if err := router.UseRecoveryCode(ctx, "u1", "h1"); err != nil {
		t.Fatalf("UseRecoveryCode of the primary's code: %v", err)
	}
	if got, err := primary.GetUserFactors(ctx, "u1"); err != nil || got.RecoveryCodes != 1 {
		t.Fatalf("the primary's codes after a use through the router: %+v, %v", got, err)
	}
	if st := router.Stats(); st.StandbyReads != before {
		t.Errorf("stats %+v: a factor call was answered by the standby", st)
	}
}
