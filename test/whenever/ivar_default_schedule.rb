# Test-only: a schedule that falls back to its own instance-variable defaults when `--set`
# leaves them out, and picks jobs by a frozen word list.
@environment ||= "staging"
@site ||= "north"
@path ||= "/srv/shop/current"

MIRRORED_SITES = %w[south east].freeze

if MIRRORED_SITES.include?(@site)
  every 1.day, at: "2:10 am" do
    command "mirror-assets --site #{@site}"
  end
else
  every :hour do
    rake "assets:check"
  end
end

unless MIRRORED_SITES.include?(@site)
  every 3.hours do
    runner "Stock.resync"
  end
end
