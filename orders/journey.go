package orders

import (
	"context"
	"slices"
	"sort"
	"time"

	"presso"
)

// Workflow is the order workflow as data a page can draw: its states and
// its transitions, read from Machine, so the journey page shows the table
// the processor runs.
type Workflow struct {
	States      []string       `json:"states"` // "" is the start, before an order exists
	Transitions []WorkflowEdge `json:"transitions"`
}

// WorkflowEdge is one row of Machine.
type WorkflowEdge struct {
	Trigger string   `json:"trigger"`
	From    []string `json:"from"`
	To      string   `json:"to"`
	Emit    []string `json:"emit"`
}

// DescribeWorkflow describes the transitions ts, its states in the order
// the table first names them.
func DescribeWorkflow(ts []Transition) Workflow {
	w := Workflow{States: []string{}, Transitions: []WorkflowEdge{}}
	add := func(s presso.State) {
		if !slices.Contains(w.States, string(s)) {
			w.States = append(w.States, string(s))
		}
	}
	for _, t := range ts {
		e := WorkflowEdge{Trigger: string(t.On), To: string(t.To), Emit: append([]string{}, t.Emit...), From: []string{}}
		for _, f := range t.From {
			add(f)
			e.From = append(e.From, string(f))
		}
		add(t.To)
		w.Transitions = append(w.Transitions, e)
	}
	return w
}

// JourneyView is an order's journey for the staff's journey page: the
// order, and its transitions and events in one timeline, each with its
// actor's name and the time since the entry before it.
type JourneyView struct {
	Order    *presso.Order   `json:"order"`
	Timeline []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one transition ("transition": trigger, from, to,
// actor) or one emitted event ("event": detailType) of an order.
type TimelineEntry struct {
	Kind       string       `json:"kind"`
	At         time.Time    `json:"at"`
	SinceMs    int64        `json:"sinceMs"` // since the entry before; 0 for the first
	Trigger    string       `json:"trigger,omitempty"`
	From       presso.State `json:"from"`
	To         presso.State `json:"to,omitempty"`
	Actor      string       `json:"actor,omitempty"`
	ActorName  string       `json:"actorName,omitempty"`
	DetailType string       `json:"detailType,omitempty"`
	EventID    string       `json:"eventId,omitempty"`
}

// JourneyOf returns an order's journey for the staff of its bar; to anyone
// else the order does not exist, as it does not for GET /api/orders/{id}.
func (p *Processor) JourneyOf(ctx context.Context, who presso.Identity, id string) (*JourneyView, error) {
	o, err := p.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.StaffOf(o.EventID) {
		return nil, presso.NotFound("order")
	}
	j, err := p.History(ctx, who, id)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range j.Transitions {
		if !slices.Contains(ids, s.Actor) {
			ids = append(ids, s.Actor)
		}
	}
	names, err := p.db.ActorNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	names["system"] = "system"
	if o.UserID != "" {
		names[o.UserID] = o.UserName
	}
	var tl []TimelineEntry
	for _, s := range j.Transitions {
		tl = append(tl, TimelineEntry{Kind: "transition", At: s.At, Trigger: s.Trigger, From: s.From, To: s.To,
			Actor: s.Actor, ActorName: names[s.Actor]})
	}
	for _, e := range j.Events {
		tl = append(tl, TimelineEntry{Kind: "event", At: e.Time, DetailType: e.DetailType, EventID: e.ID})
	}
	// A transition and the events it emitted share one time: the
	// transition comes first, then its events in the order written.
	sort.SliceStable(tl, func(a, b int) bool {
		if !tl[a].At.Equal(tl[b].At) {
			return tl[a].At.Before(tl[b].At)
		}
		return tl[a].Kind == "transition" && tl[b].Kind == "event"
	})
	for i := range tl {
		if i > 0 {
			tl[i].SinceMs = tl[i].At.Sub(tl[i-1].At).Milliseconds()
		}
	}
	if tl == nil {
		tl = []TimelineEntry{}
	}
	return &JourneyView{Order: o, Timeline: tl}, nil
}
