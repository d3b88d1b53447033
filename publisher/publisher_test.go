package publisher_test

import (
	"testing"

	"presso"
	"presso/publisher"
)

func TestChannelMatch(t *testing.T) {
	order := func(dt, event, user string) *presso.Envelope {
		return &presso.Envelope{DetailType: dt, EventID: event, Detail: map[string]any{"userId": user}}
	}
	board := publisher.Channel{Kind: publisher.Board, EventID: "demo"}
	store := publisher.Channel{Kind: publisher.Store, EventID: "demo"}
	ann := publisher.Channel{Kind: publisher.User, UserID: "cus_ann"}
	cases := []struct {
		name string
		ch   publisher.Channel
		env  *presso.Envelope
		want bool
	}{
		{"board sees its bar's orders", board, order(presso.OrderManagerMakeOrder, "demo", "cus_ann"), true},
		{"board sees redemptions", board, order(presso.ValidatorNewOrder, "demo", "cus_ann"), true},
		{"board does not see another bar", board, order(presso.OrderManagerMakeOrder, "other", "cus_ann"), false},
		{"store sees config", store, order(presso.ConfigServiceConfigChanged, "demo", ""), true},
		{"store does not see orders", store, order(presso.OrderManagerOrderCompleted, "demo", "cus_ann"), false},
		{"store does not see another bar's config", store, order(presso.ConfigServiceConfigChanged, "other", ""), false},
		{"user sees own orders anywhere", ann, order(presso.OrderManagerOrderCompleted, "other", "cus_ann"), true},
		{"user sees own timeouts", ann, order(presso.OrderProcessorOrderTimeOut, "demo", "cus_ann"), true},
		{"user does not see others", ann, order(presso.OrderManagerOrderCompleted, "demo", "cus_bob"), false},
		{"user does not see redemptions", ann, order(presso.ValidatorNewOrder, "demo", "cus_ann"), false},
	}
	for _, c := range cases {
		if _, got := c.ch.Match(c.env); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
	subjects := map[publisher.Channel]string{board: "presso.demo.>", store: "presso.demo.ConfigService.>", ann: "presso.>"}
	for ch, want := range subjects {
		if got := ch.Subject(); got != want {
			t.Errorf("Subject(%+v) = %s, want %s", ch, got, want)
		}
	}
}
