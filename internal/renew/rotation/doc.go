// Package rotation is the phase machine of a CA rotation (renew
// --rotate-ca) and the knowledge of its steps: the rotation state and the
// paths of its files, the CAs, what still needs the old one, a step's
// plan (New), the CA files it installs (Plan.Files) and its lines of the
// printed plan. It writes no file and runs no step: package renew runs
// each step as one of its transactions, with switch's reissue, and
// verifies the servers with ClientCAJudge.
//
// A rotation goes through an overlap instead of replacing the CA at once.
// Its phase, kept in state_dir/ca-rotation.json, is none before the first
// rotation, then:
//
//	step     phase                         what it installs
//	prepare  none or finished -> prepared  a new CA; ca.cert, the bundle and
//	                                       the trust files trust both CAs
//	switch   prepared -> switched          every entry, reissued under the new CA
//	finish   switched -> finished          the new CA alone, as ca.cert and ca.key
//
// Without --until a run takes the next step; --until STEP takes every step
// up to STEP. The finish step is taken only with --finish or --until
// finish, and only once nothing still needs the old CA (OldCAUsers). A
// finished rotation is followed by a new one; a phase already reached is
// nothing to do. StepsFrom decides the steps of a run.
package rotation
