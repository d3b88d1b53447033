package bus

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/nats-io/nats-server/v2/server"
)

// The embedded server's listener serves every order and name on the
// stream, so it never lets anyone in without a password: FullUser (presso
// itself and other replicas) may do anything, ReaderUser (tools) may read
// the stream and never publish or change it.
const (
	FullUser   = "presso"
	ReaderUser = "reader"
)

// Credentials are the listener's passwords.
type Credentials struct {
	Password       string `json:"password"`       // FullUser's
	ReaderPassword string `json:"readerPassword"` // ReaderUser's
}

// users are the server's users for c; the reader's rights name the stream.
func (c Credentials) users(stream string) ([]*server.User, error) {
	if len(c.Password) < 16 || len(c.ReaderPassword) < 16 {
		return nil, errors.New("the NATS listener needs passwords of at least 16 characters for both its users")
	}
	if c.Password == c.ReaderPassword {
		return nil, errors.New("the NATS listener's two users need different passwords")
	}
	api := "$JS.API."
	read := &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			api + "INFO",
			api + "STREAM.NAMES",
			api + "STREAM.LIST",
			api + "STREAM.INFO." + stream,
			api + "STREAM.MSG.GET." + stream,
			api + "DIRECT.GET." + stream,
			api + "DIRECT.GET." + stream + ".>",
			api + "CONSUMER.CREATE." + stream,
			api + "CONSUMER.CREATE." + stream + ".>",
			api + "CONSUMER.INFO." + stream + ".>",
			api + "CONSUMER.MSG.NEXT." + stream + ".>",
			"$JS.FC." + stream + ".>",
			"$JS.ACK." + stream + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", "presso.>"}},
	}
	return []*server.User{
		{Username: FullUser, Password: c.Password},
		{Username: ReaderUser, Password: c.ReaderPassword, Permissions: read},
	}, nil
}

// LoadCredentials reads the listener's passwords from file, or makes new
// ones and writes them there (mode 0600) when there is no such file;
// created says which. A file that others may read is refused.
func LoadCredentials(file string) (c Credentials, created bool, err error) {
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		info, err := os.Stat(file)
		if err != nil {
			return c, false, err
		}
		if info.Mode().Perm()&0o077 != 0 {
			return c, false, fmt.Errorf("%s holds the NATS passwords but others may read it (mode %o): chmod 600 it", file, info.Mode().Perm())
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return c, false, fmt.Errorf("%s: %w", file, err)
		}
		return c, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return c, false, err
	}
	c = Credentials{Password: rand.Text(), ReaderPassword: rand.Text()}
	data, _ = json.MarshalIndent(c, "", "  ")
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return c, false, err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return c, false, err
	}
	return c, true, f.Close()
}
