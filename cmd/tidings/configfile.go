package main

// The file's shape. Durations and sizes are strings here so that a bad value
// reaches our validator, which can name the key and the line.
type fileConfig struct {
	DataDir   *string       `toml:"data_dir"`
	Log       fileLog       `toml:"log"`
	Fetch     fileFetch     `toml:"fetch"`
	Feeds     []fileFeed    `toml:"feed"`
	Rules     []fileRule    `toml:"rule"`
	Summarize fileSummarize `toml:"summarize"`
	Digests   []fileDigest  `toml:"digest"`
	Publish   filePublish   `toml:"publish"`
	Server    fileServer    `toml:"server"`
	SMTP      fileSMTP      `toml:"smtp"`
	Retention fileRetention `toml:"retention"`
}

type fileLog struct {
	Level  *string `toml:"level"`
	Format *string `toml:"format"`
}

type fileFetch struct {
	Workers        *int     `toml:"workers"`
	PerHost        *int     `toml:"per_host"`
	Timeout        *string  `toml:"timeout"`
	MaxBody        *string  `toml:"max_body"`
	MemoryHeadroom *string  `toml:"memory_headroom"`
	UserAgent      *string  `toml:"user_agent"`
	AllowNetworks  []string `toml:"allow_networks"`
	FullText       *string  `toml:"full_text"`
	MinInterval    *string  `toml:"min_interval"`
	MaxInterval    *string  `toml:"max_interval"`
	MaxBackoff     *string  `toml:"max_backoff"`
}

type fileFeed struct {
	URL      string     `toml:"url"`
	Title    string     `toml:"title"`
	Section  string     `toml:"section"`
	Interval string     `toml:"interval"`
	FullText string     `toml:"full_text"`
	Weight   *float64   `toml:"weight"`
	Rules    []fileRule `toml:"rule"`
}

type fileRule struct {
	Field   string  `toml:"field"`
	Match   string  `toml:"match"`
	Regex   string  `toml:"regex"`
	Action  string  `toml:"action"`
	Value   float64 `toml:"value"`
	Section string  `toml:"section"`
}

type fileSummarize struct {
	Engine       *string `toml:"engine"`
	GlossaryFile string  `toml:"glossary_file"`
	LLM          fileLLM `toml:"llm"`
}

type fileLLM struct {
	BaseURL     *string `toml:"base_url"`
	Model       string  `toml:"model"`
	APIKeyEnv   *string `toml:"api_key_env"`
	Timeout     *string `toml:"timeout"`
	Concurrency *int    `toml:"concurrency"`
	DailyTokens *int    `toml:"daily_tokens"`
}

type fileDigest struct {
	Name          string     `toml:"name"`
	Title         string     `toml:"title"`
	Description   string     `toml:"description"`
	Schedule      *string    `toml:"schedule"`
	Timezone      *string    `toml:"timezone"`
	Window        *string    `toml:"window"`
	MaxItems      *int       `toml:"max_items"`
	PerFeedMax    *int       `toml:"per_feed_max"`
	PerSectionMax *int       `toml:"per_section_max"`
	MinItems      *int       `toml:"min_items"`
	Quiet         *string    `toml:"quiet"`
	Sections      []string   `toml:"sections"`
	Recipients    []string   `toml:"recipients"`
	Rules         []fileRule `toml:"rule"`
}

type filePublish struct {
	Dir          *string  `toml:"dir"`
	BaseURL      *string  `toml:"base_url"`
	Title        *string  `toml:"title"`
	Lang         *string  `toml:"lang"`
	TemplatesDir string   `toml:"templates_dir"`
	WebSubHubs   []string `toml:"websub_hubs"`
}

type fileServer struct {
	Listen  *string `toml:"listen"`
	Metrics bool    `toml:"metrics"`
}

type fileSMTP struct {
	Host               string  `toml:"host"`
	Port               *int    `toml:"port"`
	TLS                *string `toml:"tls"`
	Username           string  `toml:"username"`
	PasswordEnv        *string `toml:"password_env"`
	PasswordFile       string  `toml:"password_file"`
	From               string  `toml:"from"`
	Sendmail           string  `toml:"sendmail"`
	Subject            string  `toml:"subject"`
	Unsubscribe        string  `toml:"unsubscribe"`
	InsecureSkipVerify bool    `toml:"insecure_skip_verify"`
	Timeout            *string `toml:"timeout"`
}

type fileRetention struct {
	MaxAge     *string `toml:"max_age"`
	MinPerFeed *int    `toml:"min_per_feed"`
}
